"""`runar doctor --remote`: read every object back and check it; list conflicts and orphans.

Sealed segments are decoded as a reader would (every zstd frame's checksum, every
line's CRC); artifacts are hashed and compared with the sha256 their ArtifactAttached
event recorded, and blobs with their name; tombstones must be empty. Orphans are keys
that are not runar's, live tails whose sealed segment exists, objects of tombstoned
runs and blobs no log names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Final

from runar.codec import decode_lines
from runar.events import ArtifactAttached
from runar.journal.reader import decompress_frames, split_lines
from runar.remote.bucket import Bucket, ObjectInfo, ObjectMissing, TooBig
from runar.remote.layout import classify_key, sealed_key_of_live
from runar.remote.push import run_all
from runar.remote.report import RemoteReport

VERIFY_WORKERS: Final = 16
_lock = threading.Lock()


@dataclass
class RemoteCheck:
    """What a remote holds and what is wrong with it."""

    remote: str
    objects: int = 0
    bytes: int = 0
    runs: int = 0
    segments: int = 0
    events: int = 0
    damaged: dict[str, str] = field(default_factory=dict)  # key → what is wrong
    conflicts: list[str] = field(default_factory=list)
    orphans: dict[str, str] = field(default_factory=dict)  # key → why

    @property
    def healthy(self) -> bool:
        return not self.damaged and not self.conflicts

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "healthy": self.healthy}


def verify(bucket: Bucket) -> RemoteCheck:
    """Check every object of a remote (one GET each); nothing is written or deleted."""
    listing = list(bucket.list())
    check = RemoteCheck(str(bucket.url), objects=len(listing), bytes=sum(o.size for o in listing))
    keys = {o.key for o in listing}
    tombstoned = {k.split("/", 1)[1] for k in keys if k.startswith("deleted/")}
    runs: set[str] = set()
    hashes: dict[str, str] = {}  # artifact key → recorded sha256
    artifacts: list[ObjectInfo] = []
    blobs: list[ObjectInfo] = []
    tasks: list[Callable[[], None]] = []
    for info in listing:
        rk = classify_key(info.key)
        if rk is None:
            check.orphans[info.key] = "not a runar key"
        elif rk.kind == "blob":
            blobs.append(info)
        elif rk.kind == "conflict":
            check.conflicts.append(info.key)
        elif rk.kind == "tombstone":
            if info.size:
                check.damaged[info.key] = "a tombstone is empty; this one is not"
        elif rk.run_id in tombstoned:
            check.orphans[info.key] = "its run is tombstoned (push --everywhere removes it)"
        elif rk.kind == "live":
            if sealed_key_of_live(info.key) in keys:
                check.orphans[info.key] = "a live tail whose sealed segment exists"
            runs.add(rk.run_id)
        elif rk.kind == "sealed":
            runs.add(rk.run_id)
            check.segments += 1
            tasks.append(lambda i=info: _check_segment(bucket, i, check, hashes))
        elif rk.local.split("/")[2] == "artifacts":
            artifacts.append(info)
    check.runs = len(runs)
    run_all(tasks, VERIFY_WORKERS, RemoteReport("", ""))
    tasks = [
        (lambda i=info, h=hashes[info.key]: _check_artifact(bucket, i, h, check))
        for info in artifacts
        if info.key in hashes
    ]
    tasks += [(lambda i=info: _check_blob(bucket, i, check)) for info in blobs]
    run_all(tasks, VERIFY_WORKERS, RemoteReport("", ""))
    named = set(hashes.values())
    for info in blobs:
        if info.key.split("/", 1)[1] not in named:
            check.orphans[info.key] = "an artifact blob no run's log names"
    return check


def _check_segment(
    bucket: Bucket, info: ObjectInfo, check: RemoteCheck, hashes: dict[str, str]
) -> None:
    try:
        blob = bucket.get_bytes(info.key, info.size + 1)
    except (ObjectMissing, TooBig):
        check.damaged[info.key] = "changed or vanished while being read"
        return
    data, frames = decompress_frames(blob)
    lines, _, bad_lines = split_lines(data, 0)
    decoded = decode_lines(lines)
    bad = bad_lines + sum(e is None for e in decoded)
    if frames or bad:
        check.damaged[info.key] = f"{frames} damaged zstd frame(s), {bad} damaged record(s)"
    run_dir = info.key.rsplit("/", 1)[0]
    for event in decoded:
        if isinstance(event, ArtifactAttached):
            hashes[f"{run_dir}/artifacts/{event.path}"] = event.sha256
    with _lock:
        check.events += sum(e is not None for e in decoded)


def _check_artifact(bucket: Bucket, info: ObjectInfo, expected: str, check: RemoteCheck) -> None:
    try:
        found = bucket.sha256(info.key, info.size + 1)
    except (ObjectMissing, TooBig):
        check.damaged[info.key] = "changed or vanished while being read"
        return
    if found != expected:
        check.damaged[info.key] = f"sha256 {found[:12]}… differs from the recorded {expected[:12]}…"


def _check_blob(bucket: Bucket, info: ObjectInfo, check: RemoteCheck) -> None:
    try:
        found = bucket.sha256(info.key, info.size + 1)
    except (ObjectMissing, TooBig):
        check.damaged[info.key] = "changed or vanished while being read"
        return
    if found != info.key.split("/", 1)[1]:
        check.damaged[info.key] = f"its bytes hash to {found[:12]}…, not to its name"
