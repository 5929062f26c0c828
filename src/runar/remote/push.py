"""Store → bucket: upload what the bucket lacks with create-only PUTs; never overwrite.

One listing decides everything. A file the bucket lacks is PUT with If-None-Match: *;
a 412 (someone was faster, or our own earlier push that was killed) is resolved by
comparing bytes: equal is an idempotent retry, different is a conflict, and ours is
kept aside as ``conflicts/<run_id>/<name>.<sha256[:12]>`` as the folder sync does.
Open (plain) segments go up as advisory ``live/`` tails; they are the only objects
ever replaced. Tombstones go up too; ``everywhere`` also deletes the tombstoned runs'
objects, the one deletion a push makes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from runar.ids import is_run_id
from runar.journal.segment import PLAIN_SUFFIX, TMP_SUFFIX
from runar.journal.sync import Conflict
from runar.remote.artifacts import blob_key, file_sha256, recorded_artifacts
from runar.remote.bucket import Bucket, ObjectExists, ObjectInfo, ObjectMissing, RemoteError, TooBig
from runar.remote.layout import LIVE_DIRNAME, classify_key, key_for_local
from runar.remote.report import RemoteReport
from runar.remote.state import SyncState
from runar.store import Store

PUSH_WORKERS: Final = 8
HASH_CHARS: Final = 12
COMPARE_LIMIT: Final = 1 << 30


def whole_lines(path: Path) -> bytes:
    """An open segment's complete lines: a torn last line is never uploaded."""
    with open(path, "rb") as fh:
        data = fh.read()
    return data[: data.rfind(b"\n") + 1]


def local_files(run_dir: Path) -> list[tuple[str, Path]]:
    """(store-relative path, file) of a run's regular files; tmp files and symlinks skipped."""
    found: list[tuple[str, Path]] = []
    base = run_dir.parent.parent

    def walk(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink() or entry.name.endswith(TMP_SUFFIX):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                path = Path(entry.path)
                found.append((path.relative_to(base).as_posix(), path))

    walk(run_dir)
    return found


class Pusher:
    """One push: the bucket's listing, what this machine knows, and the report."""

    def __init__(self, store: Store, bucket: Bucket, listing: dict[str, ObjectInfo]) -> None:
        self.store, self.bucket, self.listing = store, bucket, listing
        self.state = SyncState.load(store, str(bucket.url))
        self.report = RemoteReport(str(store.root), str(bucket.url))
        self._recorded_cache: dict[str, dict[str, tuple[str, int]]] = {}
        self._recorded_lock = threading.Lock()

    def upload_sealed(self, key: str, path: Path) -> None:
        """A sealed segment, artifact or code file: create-only, compare on 'already there'."""
        size = path.stat().st_size
        there = self.listing.get(key)
        if there is not None:
            if self.state.same(key, there.size, there.etag) and there.size == size:
                self.report.files_same += 1
            elif there.size != size:
                self.keep_aside(key, path)
            else:
                self.compare(key, path, there.etag)
            return
        try:
            etag = self.bucket.put_create(key, path)
        except ObjectExists:
            self.compare(key, path, "")
            return
        self.state.record(key, size, etag)
        self.report.files_copied += 1
        self.report.bytes_copied += size

    def compare(self, key: str, path: Path, etag: str) -> None:
        """The bucket has ``key``: equal bytes are a retry, other bytes a conflict."""
        try:
            theirs = self.bucket.sha256(key, COMPARE_LIMIT)
        except ObjectMissing:
            self.upload_sealed(key, path)  # deleted since the listing (a --everywhere)
            return
        except TooBig:
            theirs = ""
        if theirs == file_sha256(path):
            self.state.record(key, path.stat().st_size, etag or self._etag(key))
            self.report.files_same += 1
        else:
            self.keep_aside(key, path)

    def _etag(self, key: str) -> str:
        found = next(iter(self.bucket.list(key)), None)
        return found.etag if found is not None and found.key == key else ""

    def keep_aside(self, key: str, path: Path) -> None:
        """Ours differs from the bucket's: put ours under conflicts/, the bucket's stays."""
        run_id, rest = key.split("/", 2)[1:]
        aside = f"conflicts/{run_id}/{rest}.{file_sha256(path)[:HASH_CHARS]}"
        self.report.conflicts.append(Conflict(key, aside))
        if aside in self.listing:
            return
        with contextlib.suppress(ObjectExists):  # the same bytes set aside by an earlier push
            self.bucket.put_create(aside, path)

    def upload_live(self, key: str, path: Path) -> None:
        """An open segment's whole lines as the advisory tail, when longer than the bucket's."""
        head, _, name = key.rpartition(f"/{LIVE_DIRNAME}/")
        if f"{head}/{name}.zst" in self.listing:
            self.report.live_skipped += 1  # sealed there: the tail is of no use to anyone
            return
        data = whole_lines(path)
        there = self.listing.get(key)
        if not data or (there is not None and there.size >= len(data)):
            self.report.files_same += 1
            return
        self.bucket.put_overwrite(key, data)
        self.report.files_grown += 1
        self.report.bytes_copied += len(data)

    def upload_artifact(self, run_id: str, rel: str, key: str, path: Path) -> None:
        """A saved file goes up once per content hash; other files under their run's key."""
        size = path.stat().st_size
        known = self.state.known.get(f"local:{rel}")
        if known is not None and known[0] == size:
            sha = str(known[1])
        else:
            recorded = self._recorded(run_id).get(rel.split("/artifacts/", 1)[1])
            if recorded is None or recorded[1] != size or file_sha256(path) != recorded[0]:
                self.upload_sealed(key, path)  # a folder's file, or changed since it was saved
                return
            sha = recorded[0]
            self.state.record(f"local:{rel}", size, sha)
        self.upload_blob(sha, path, size)

    def upload_blob(self, sha: str, path: Path, size: int) -> None:
        key = blob_key(sha)
        there = self.listing.get(key)
        if there is not None:
            if there.size == size:
                self.report.files_same += 1
            else:
                self.report.refuse(f"{key}: its size is not its content's (see doctor --remote)")
            return
        try:
            self.bucket.put_blob(key, path)
        except ObjectExists:
            self.report.files_same += 1  # the same content, from another run or pusher
            return
        self.report.files_copied += 1
        self.report.bytes_copied += size

    def _recorded(self, run_id: str) -> dict[str, tuple[str, int]]:
        with self._recorded_lock:
            if run_id not in self._recorded_cache:
                self._recorded_cache[run_id] = recorded_artifacts(self.store.run_dir(run_id))
            return self._recorded_cache[run_id]

    def tasks_for_run(self, run_id: str) -> list[Callable[[], None]]:
        """One upload per file of the run that travels."""
        run_dir = self.store.run_dir(run_id)
        if not any(k.startswith(f"runs/{run_id}/") for k in self._run_keys(run_id)):
            self.report.runs_new.append(run_id)
        tasks: list[Callable[[], None]] = []
        for rel, path in local_files(run_dir):
            key = key_for_local(rel)
            if key is None:
                self.report.refuse(f"{rel}: not part of a run's layout (not uploaded)")
            elif rel.endswith(PLAIN_SUFFIX) and path.with_name(path.name + ".zst").exists():
                continue  # its sealed twin carries the same events
            elif rel.endswith(PLAIN_SUFFIX):
                tasks.append(lambda k=key, p=path: self.upload_live(k, p))
            elif key.startswith(f"runs/{run_id}/artifacts/"):
                tasks.append(lambda r=rel, k=key, p=path: self.upload_artifact(run_id, r, k, p))
            else:
                tasks.append(lambda k=key, p=path: self.upload_sealed(k, p))
        return tasks

    def _run_keys(self, run_id: str) -> list[str]:
        return self._by_run.get(run_id, [])

    def index_runs(self) -> None:
        self._by_run: dict[str, list[str]] = {}
        for key in self.listing:
            parts = key.split("/", 2)
            # a run's conflicts/ copies are its objects too: --everywhere deletes them with it
            if len(parts) == 3 and parts[0] in ("runs", "conflicts"):
                self._by_run.setdefault(parts[1], []).append(key)

    def tombstones(self, everywhere: bool) -> set[str]:
        """Upload local tombstones; under ``everywhere`` delete those runs' objects."""
        remote = {k.run_id for k in map(classify_key, self.listing) if k and k.kind == "tombstone"}
        local = self.store.tombstones()
        for run_id in sorted(local - remote):
            with contextlib.suppress(ObjectExists):
                self.bucket.put_create(f"deleted/{run_id}", b"")
            self.report.tombstones_copied += 1
        if everywhere:
            for run_id in sorted(local):
                for key in self._run_keys(run_id):
                    self.bucket.delete(key)
                    self.state.forget(key)
                    self.report.objects_deleted += 1
        return local | remote


def run_all(tasks: list[Callable[[], None]], workers: int, report: RemoteReport) -> None:
    """Run uploads or downloads concurrently; the first RemoteError is raised after all end."""
    errors: list[RemoteError] = []

    def guarded(task: Callable[[], None]) -> None:
        try:
            task()
        except RemoteError as exc:
            errors.append(exc)
        except OSError as exc:
            report.failed.append(f"{exc.filename or ''}: {exc.strerror or exc}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(guarded, tasks))
    if errors:
        raise errors[0]


def _run_folders(store: Store) -> list[str]:
    """Ids of the real run folders under runs/ (tombstoned ones too)."""
    try:
        with os.scandir(store.runs_dir) as entries:
            return sorted(
                e.name for e in entries if is_run_id(e.name) and e.is_dir(follow_symlinks=False)
            )
    except FileNotFoundError:
        return []


def push(store: Store, bucket: Bucket, everywhere: bool = False) -> RemoteReport:
    """Upload into ``bucket`` every run file, tombstone and open tail of ``store`` it lacks."""
    listing = {o.key: o for o in bucket.list()}
    pusher = Pusher(store, bucket, listing)
    pusher.index_runs()
    deleted = pusher.tombstones(everywhere)
    tasks: list[Callable[[], None]] = []
    for run_id in _run_folders(store):
        if run_id in deleted:
            pusher.report.runs_deleted.append(run_id)
            continue
        tasks += pusher.tasks_for_run(run_id)
    try:
        run_all(tasks, PUSH_WORKERS, pusher.report)
    finally:
        pusher.state.save()
    return pusher.report
