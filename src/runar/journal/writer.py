"""JournalWriter: one process's append-only segments of one run.

``append()`` only stamps the envelope and queues the event; a background thread
encodes and hands batches to the OS every ``flush_interval_s`` and fsyncs every
``fsync_interval_s``. close(), interpreter exit and SIGTERM flush durably and seal.
Storage trouble never raises into the caller: it is reported once through
``on_error`` and the writer moves to a fresh segment.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.codec import encode_line, encode_lines
from runar.events import AnyEvent, WriterOpened
from runar.ids import new_writer_id
from runar.journal.policy import FlushPolicy
from runar.journal.segment import PLAIN_SUFFIX, fsync_dir, seal, segment_stem

UNSYNCED_LIMIT_BYTES: Final = 64 << 20  # fsync early rather than hold more for a retry
ErrorHandler = Callable[[OSError], None]

_live_writers: weakref.WeakSet[JournalWriter] = weakref.WeakSet()


def _runar_version() -> str:
    from runar import __version__

    return __version__


class JournalWriter:
    """Appends events of one run to segments that only this writer touches."""

    def __init__(
        self,
        run_dir: Path,
        run_id: str,
        role: str = "sdk",
        policy: FlushPolicy | None = None,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.run_id = run_id
        self.role = role
        self.writer_id = new_writer_id(role)
        self.policy = policy or FlushPolicy.from_env()
        self.on_error = on_error
        self.pid = os.getpid()
        self.dropped = 0
        self._seq = 0
        self._buffer: list[AnyEvent] = []
        self._lock = threading.Lock()  # guards seq and buffer: the hot path
        self._io_lock = threading.RLock()  # serializes file work
        self._segment_no = 0
        self._fd: int | None = None
        self._path: Path | None = None
        self._written = 0
        self._unsynced: list[bytes] = []
        self._unsynced_bytes = 0
        self._last_fsync = time.monotonic()
        self._sealers: list[threading.Thread] = []
        self._closed = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="runar-flush", daemon=True)
        _live_writers.add(self)
        _install_process_hooks()
        self._thread.start()

    # -- hot path -----------------------------------------------------------------
    def append(self, event: AnyEvent) -> None:
        """Stamp writer, seq and (if unset) time on the event and queue it."""
        with self._lock:
            self._seq += 1
            event.writer = self.writer_id
            event.seq = self._seq
            if not event.ts:
                event.ts = time.time_ns()
            self._buffer.append(event)
            full = len(self._buffer) >= self.policy.max_buffered_events
        if full:
            self.flush()

    @property
    def last_seq(self) -> int:
        return self._seq

    # -- flushing -----------------------------------------------------------------
    def flush(self, durable: bool = False) -> None:
        """Hand queued events to the OS; with ``durable``, fsync them too."""
        with self._io_lock:
            if self._closed and self._fd is None and not self._buffer:
                return
            with self._lock:
                batch, self._buffer = self._buffer, []
            if batch:
                self._write(encode_lines(batch), len(batch))
            due = time.monotonic() - self._last_fsync >= self.policy.fsync_interval_s
            if self._unsynced and (durable or due or self._unsynced_bytes > UNSYNCED_LIMIT_BYTES):
                self._fsync()
            if self._fd is not None and self._written >= self.policy.segment_bytes:
                self._rotate()

    def _open_segment(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._segment_no += 1
        stem = segment_stem(self.writer_id, self._segment_no)
        self._path = self.run_dir / f"{stem}{PLAIN_SUFFIX}"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._written = 0
        fsync_dir(self.run_dir)
        with self._lock:
            self._seq += 1
            seq = self._seq
        opened = WriterOpened(
            run_id=self.run_id,
            role=self.role,
            host=socket.gethostname(),
            pid=self.pid,
            segment=self._segment_no,
            runar_version=_runar_version(),
            writer=self.writer_id,
            seq=seq,
            ts=time.time_ns(),
        )
        self._write_raw(encode_line(opened))

    def _write(self, data: bytes, count: int) -> None:
        try:
            if self._fd is None:
                self._open_segment()
            self._write_raw(data)
        except OSError as exc:
            self._abandon_segment(exc)
            self.dropped += count
            # keep what failed for the next segment, within the memory bound
            if self._unsynced_bytes + len(data) <= UNSYNCED_LIMIT_BYTES:
                self._unsynced.append(data)
                self._unsynced_bytes += len(data)
                self.dropped -= count

    def _write_raw(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
            self._written += n
        self._unsynced.append(data)
        self._unsynced_bytes += len(data)

    def _fsync(self) -> None:
        if self._fd is None:
            self._retry_unsynced()
            return
        try:
            os.fsync(self._fd)
        except OSError as exc:
            # A failed fsync is never retried and trusted: the page cache may have dropped
            # those pages. Rewrite everything since the last good fsync into a new segment;
            # readers drop the duplicates by (writer, seq).
            self._abandon_segment(exc)
            self._retry_unsynced()
            return
        self._unsynced.clear()
        self._unsynced_bytes = 0
        self._last_fsync = time.monotonic()

    def _retry_unsynced(self) -> None:
        if not self._unsynced:
            return
        pending, self._unsynced = self._unsynced, []
        self._unsynced_bytes = 0
        try:
            self._open_segment()
            for data in pending:
                self._write_raw(data)
            os.fsync(self._fd)  # type: ignore[arg-type]
        except OSError as exc:
            self._abandon_segment(exc)
            self._unsynced = pending
            self._unsynced_bytes = sum(len(p) for p in pending)
            return
        self._unsynced.clear()
        self._unsynced_bytes = 0
        self._last_fsync = time.monotonic()

    def _abandon_segment(self, exc: OSError) -> None:
        """Stop using the current file after an error; its complete lines stay readable."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        self._path = None
        if self.on_error is not None:
            self.on_error(exc)

    def _rotate(self) -> None:
        self._fsync()
        if self._fd is None or self._path is None:
            return
        path = self._path
        os.close(self._fd)
        self._fd, self._path = None, None
        sealer = threading.Thread(target=self._seal_quietly, args=(path,), name="runar-seal")
        sealer.start()
        self._sealers.append(sealer)

    def _seal_quietly(self, path: Path) -> None:
        try:
            seal(path)
        except OSError as exc:
            # the plain segment stays complete and readable; sealing is only compaction
            if self.on_error is not None:
                self.on_error(exc)

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.policy.flush_interval_s)
            if self._closed:
                break
            try:
                self.flush()
            except Exception as exc:  # the flush thread must outlive any surprise
                if self.on_error is not None:
                    self.on_error(OSError(str(exc)))

    # -- lifecycle ----------------------------------------------------------------
    def close(self) -> None:
        """Flush durably, seal the active segment and stop the thread; idempotent."""
        if self._closed:
            return
        if os.getpid() != self.pid:
            self._forget_after_fork()
            return
        self.flush(durable=True)
        self._closed = True
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._io_lock:
            self.flush(durable=True)
            if self._fd is not None and self._path is not None:
                path = self._path
                os.close(self._fd)
                self._fd, self._path = None, None
                self._seal_quietly(path)
        for sealer in self._sealers:
            sealer.join()
        _live_writers.discard(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent owns these segments and this buffer."""
        self._closed = True
        self._buffer = []
        self._unsynced = []
        self._fd = None
        _live_writers.discard(self)

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def flush_all(durable: bool = True) -> None:
    """Flush every writer of this process (used on exit and on SIGTERM)."""
    for writer in list(_live_writers):
        if writer.pid == os.getpid() and not writer._closed:
            with contextlib.suppress(Exception):
                writer.flush(durable=durable)


def close_all() -> None:
    """Close every writer of this process, sealing their segments."""
    for writer in list(_live_writers):
        with contextlib.suppress(Exception):
            writer.close()


_hooks_installed = False


def _after_fork_in_child() -> None:
    for writer in list(_live_writers):
        writer._forget_after_fork()
        writer._lock = threading.Lock()
        writer._io_lock = threading.RLock()


def _on_sigterm(signum: int, frame: object) -> None:
    flush_all(durable=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # die of the same signal, as if runar were not there


def _install_process_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(close_all)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    # Only take SIGTERM when nobody else did; SIGINT raises KeyboardInterrupt and atexit covers it.
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            pass
