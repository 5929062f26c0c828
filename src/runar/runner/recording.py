"""Whether the runner can record, said plainly: the script runs either way.

Before the script starts the store is probed without writing (a read-only or full file
system, no permission), so the very first line can say the run will not be recorded.
Trouble that comes later reaches us through the journal writer's ``on_error``; it is
said once when it happens and again in the footer, which then never claims a record.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Final

from runar.errors import StoreError
from runar.store import Store

MIN_FREE_BYTES: Final = 1 << 20  # below this a run's first segment may not fit


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def cannot_write(folder: Path) -> str | None:
    """Why nothing can be written under ``folder`` (which may not exist yet), or None."""
    where = _existing_ancestor(folder.absolute())
    try:
        stats = os.statvfs(where)
    except OSError as exc:
        return exc.strerror or str(exc)
    if stats.f_flag & os.ST_RDONLY:
        return os.strerror(30)  # EROFS: "Read-only file system", as the writer would say
    if not os.access(where, os.W_OK):
        return os.strerror(13)  # EACCES
    free = (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize
    if free < MIN_FREE_BYTES or (stats.f_files and not stats.f_ffree):
        return os.strerror(28)  # ENOSPC
    return None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class RecordingHealth:
    """What went wrong with recording this run, if anything, and the lines that say so."""

    def __init__(self, store: Store) -> None:
        self.root = store.root
        self.at_start: str | None = None
        self.stopped_at: float | None = None  # wall clock, for the footer
        self.reason: str | None = None
        self._lock = threading.Lock()

    def check(self, store: Store) -> None:
        """Create the store if needed and probe it; remembers why it cannot be written."""
        try:
            store.create()
        except StoreError as exc:
            self.at_start = cannot_write(store.runs_dir) or str(exc)
            return
        self.at_start = cannot_write(store.runs_dir)

    def start_lines(self) -> list[str]:
        """The first line runar prints when the run cannot be recorded at all."""
        if self.at_start is None:
            return []
        return [
            f"runar: cannot record this run: {self.at_start} ({self.root}); the script runs anyway"
        ]

    def on_error(self, exc: OSError) -> None:
        """The journal writer's storage trouble: said once, at once, and kept for the footer."""
        with self._lock:
            if self.stopped_at is not None:
                return
            self.stopped_at = time.time()
            self.reason = _reason(exc)
        if self.at_start is not None:
            return  # the first line already said it
        try:
            sys.stderr.write(
                f"runar: recording stopped: {self.reason} ({self.root}); the script goes on\n"
            )
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def footer_lines(self) -> list[str]:
        """What the footer says about the record, when it is not a whole one."""
        if self.at_start is not None:
            return [f"✗ Not recorded: {self.at_start} ({self.root})"]
        if self.stopped_at is not None:
            when = time.strftime("%H:%M:%S", time.localtime(self.stopped_at))
            return [f"⚠ Recorded only in part: recording stopped at {when}: {self.reason}"]
        return []
