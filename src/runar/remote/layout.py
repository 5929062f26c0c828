"""Which keys a bucket may hold, and where each lands in a store; everything else is refused.

    runs/<run_id>/<writer>.<n>.jsonl.zst       sealed segment (immutable)
    runs/<run_id>/live/<writer>.<n>.jsonl      advisory tail of an open segment → <writer>.<n>.jsonl
    runs/<run_id>/artifacts/…, code/…          files written once
    deleted/<run_id>                           tombstone
    blobs/<sha256>                             an artifact, once per content (remote/artifacts.py)
    conflicts/…                                pushes that differed from the bucket (never pulled)
A hostile bucket cannot name a path outside the store: every part is checked (no ``..``,
no absolute path, no backslash, no control character, no ``.tmp``), and every kind has a
size cap so a lying listing cannot exhaust memory or disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from runar.ids import is_run_id

Kind = Literal["sealed", "live", "file", "tombstone", "conflict", "blob"]

LIVE_DIRNAME: Final = "live"
FILE_DIRS: Final = ("artifacts", "code")
SEGMENT_MAX_BYTES: Final = 1 << 30  # writers seal at 4 MiB; a 1 GiB "segment" is not one
TOMBSTONE_MAX_BYTES: Final = 4096
FILE_MAX_BYTES: Final = 64 << 30  # artifacts are streamed to disk, never held in memory
MAX_KEY_CHARS: Final = 1024
MAX_PART_CHARS: Final = 255
MAX_DEPTH: Final = 32
_SEGMENT: Final = re.compile(r"^[a-z0-9]+-[a-z0-9]+\.\d{6,}\.jsonl(\.zst)?$")
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_BAD_CHARS: Final = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class RemoteKey:
    """A valid key: its kind, run, and path relative to the store root."""

    key: str
    kind: Kind
    run_id: str
    local: str  # where it lands under the store root
    max_bytes: int

    @property
    def stem(self) -> str:
        """``<run_id>/<writer>.<n>`` for segments (sealed and live share it)."""
        name = self.local.rsplit("/", 1)[-1]
        return f"{self.run_id}/{name.split('.jsonl')[0]}"


def _parts_ok(parts: list[str]) -> bool:
    return all(
        part not in ("", ".", "..")
        and len(part) <= MAX_PART_CHARS
        and not _BAD_CHARS.search(part)
        and not part.endswith(".tmp")
        for part in parts
    )


def classify_key(key: str) -> RemoteKey | None:
    """The RemoteKey for a store-relative key, or None for junk and hostile names."""
    if len(key) > MAX_KEY_CHARS or key.startswith("/") or ":" in key.split("/", 1)[0]:
        return None
    parts = key.split("/")
    if len(parts) > MAX_DEPTH or not _parts_ok(parts):
        return None
    top = parts[0]
    if top == "deleted" and len(parts) == 2 and is_run_id(parts[1]):
        return RemoteKey(key, "tombstone", parts[1], key, TOMBSTONE_MAX_BYTES)
    if top == "blobs" and len(parts) == 2 and _SHA256.match(parts[1]):
        return RemoteKey(key, "blob", "", key, FILE_MAX_BYTES)
    if top == "conflicts" and len(parts) >= 3:
        return RemoteKey(key, "conflict", parts[1], key, FILE_MAX_BYTES)
    if top != "runs" or len(parts) < 3 or not is_run_id(parts[1]):
        return None
    run_id, rest = parts[1], parts[2:]
    if len(rest) == 1 and _SEGMENT.match(rest[0]) and rest[0].endswith(".zst"):
        return RemoteKey(key, "sealed", run_id, key, SEGMENT_MAX_BYTES)
    if len(rest) == 2 and rest[0] == LIVE_DIRNAME and _SEGMENT.match(rest[1]):
        if rest[1].endswith(".zst"):
            return None
        return RemoteKey(key, "live", run_id, f"runs/{run_id}/{rest[1]}", SEGMENT_MAX_BYTES)
    if len(rest) >= 2 and rest[0] in FILE_DIRS:
        return RemoteKey(key, "file", run_id, key, FILE_MAX_BYTES)
    return None


def key_for_local(rel: str) -> str | None:
    """The bucket key of a file under ``runs/`` (store-relative), or None if it never travels.

    Plain segments travel as live tails; sealed ones, artifacts and code as themselves.
    """
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "runs" or not is_run_id(parts[1]) or not _parts_ok(parts):
        return None
    if len(rel) > MAX_KEY_CHARS or len(parts) > MAX_DEPTH:
        return None  # a pull would refuse the key: uploading it only fills the bucket
    rest = parts[2:]
    if len(rest) == 1 and _SEGMENT.match(rest[0]):
        if rest[0].endswith(".zst"):
            return rel
        return f"runs/{parts[1]}/{LIVE_DIRNAME}/{rest[0]}"
    if len(rest) >= 2 and rest[0] in FILE_DIRS:
        return rel
    return None


def sealed_key_of_live(key: str) -> str:
    """``runs/<id>/live/<w>.<n>.jsonl`` → ``runs/<id>/<w>.<n>.jsonl.zst``."""
    head, _, name = key.rpartition(f"/{LIVE_DIRNAME}/")
    return f"{head}/{name}.zst"
