"""What this machine knows to be the same on both sides of a remote: key → (size, ETag).

Recorded after every upload or download and checked before the next one, so an
incremental push or pull costs one listing and no GET for objects already in common.
It lives in the store's machine-local ``cache/`` (rsync skips it); losing it only costs
GETs that compare bytes once more.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Final

from runar.store import Store

STATE_DIRNAME: Final = "remote-state"


def state_path(store: Store, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return store.root / "cache" / STATE_DIRNAME / f"{digest}.json"


class SyncState:
    """Keys known equal locally and remotely, with the size and ETag they had."""

    def __init__(self, path: Path, known: dict[str, list[object]]) -> None:
        self.path = path
        self.known = known
        self._lock = threading.Lock()
        self._dirty = False

    @classmethod
    def load(cls, store: Store, url: str) -> SyncState:
        path = state_path(store, url)
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            data = {}
        return cls(path, data if isinstance(data, dict) else {})

    def same(self, key: str, size: int, etag: str) -> bool:
        """True when ``key`` was last seen equal on both sides with this size and ETag."""
        entry = self.known.get(key)
        return entry is not None and entry == [size, etag] and bool(etag)

    def record(self, key: str, size: int, etag: str) -> None:
        with self._lock:
            self.known[key] = [size, etag]
            self._dirty = True

    def remember(self, key: str, entry: list[object]) -> None:
        """Keep any small record under ``key`` (a conflict already set aside, a marker)."""
        with self._lock:
            self.known[key] = entry
            self._dirty = True

    def forget(self, key: str) -> None:
        with self._lock:
            self._dirty |= self.known.pop(key, None) is not None

    def save(self) -> None:
        """Write atomically; a failure only costs GETs next time."""
        if not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            with self._lock:
                tmp.write_text(json.dumps(self.known, separators=(",", ":")))
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:
            pass
