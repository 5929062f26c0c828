"""SealQueue: a writer's full segments, sealed in order by one low-priority thread.

Sealing (segment.seal) is compaction: a plain segment reads the same until it is done. A
thread per segment let a fast logger start several zstd passes at once, which took every
core from the training loop; one thread at a time, at a raised nice value on Linux, leaves
the loop first in line. close() seals what is still waiting at its own priority.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Final

SEAL_NICENESS: Final = 10  # nice steps the sealing thread gives up (Linux: per thread)


class SealQueue:
    """Paths of full, fsynced segments, sealed oldest first by ``seal_one``."""

    def __init__(self, seal_one: Callable[[Path], None]) -> None:
        self._seal_one = seal_one
        self._paths: deque[Path] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """Is the background thread running (segments queued or being sealed)?"""
        return self._thread is not None

    def put(self, path: Path) -> None:
        """Queue a segment; start the background thread if it is not running."""
        with self._lock:
            self._paths.append(path)
            if self._thread is not None:
                return
            # a daemon: at exit, close() seals the rest at normal priority instead of the
            # interpreter waiting for this low-priority thread to get through the queue
            self._thread = threading.Thread(
                target=self._work, args=(True,), name="runar-seal", daemon=True
            )
            try:
                self._thread.start()
            except RuntimeError:  # at interpreter shutdown: finish() seals the queue
                self._thread = None

    def finish(self) -> None:
        """Seal what waits in the calling thread, then wait for the one being sealed."""
        self._work(background=False)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _work(self, background: bool) -> None:
        if background:
            _lower_thread_priority()
        while True:
            with self._lock:
                if not self._paths:
                    if background:
                        self._thread = None
                    return
                path = self._paths.popleft()
            self._seal_one(path)


def _lower_thread_priority() -> None:
    """Raise the calling thread's nice value (Linux: per thread); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, nice + SEAL_NICENESS))
