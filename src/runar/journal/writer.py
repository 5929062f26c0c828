"""JournalWriter: one process's append-only segments of one run.

``append()`` only stamps the envelope and queues the event; a background thread
encodes each batch as checked blocks (codec.py), hands them to the OS every
``flush_interval_s`` and fsyncs every ``fsync_interval_s``. close(), interpreter exit
and SIGTERM flush durably and seal.

Storage trouble never raises into the caller. The first error of an episode is
reported through ``on_error`` (once, until writing succeeds again); the writer then
abandons the segment and rewrites everything not yet known durable into a fresh one,
retrying every ``RETRY_INTERVAL_S``. Readers drop the duplicates by ``(writer, seq)``.
A seq consumed by a segment header that never reached the disk is the only gap, and
so is a kill during such a rewrite: the rewritten events precede their new header.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from itertools import count, islice, repeat
from pathlib import Path
from typing import Final

from runar.codec import (
    BLOCK_PREFIX,
    SEGMENT_FORMAT,
    encode_block_parts,
    encode_json,
    encode_line,
)
from runar.events import AnyEvent, RunRenamed, RunStarted, WriterOpened
from runar.ids import new_writer_id
from runar.journal import process_hooks
from runar.journal.policy import FlushPolicy
from runar.journal.seal_queue import SealQueue
from runar.journal.segment import FIRST_SEGMENT, PLAIN_SUFFIX, fsync_dir, seal, segment_stem

UNSYNCED_LIMIT_BYTES: Final = 64 << 20  # fsync early rather than hold more for a retry
PENDING_LIMIT_BYTES: Final = 256 << 20  # past this, a failing disk costs events, not RAM
RETRY_INTERVAL_S: Final = 1.0  # a failing disk is retried this often, not on every flush
RETIRED_LIMIT: Final = 8  # full segments that may await their fsync (open files); then it runs
ErrorHandler = Callable[[OSError], None]
Buffer = bytes | memoryview  # a segment header line, a block of lines, or a block's trailer
_time_ns: Final = time.time_ns
_NAMING_TYPES: Final = frozenset((RunStarted, RunRenamed))


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
        # Every segment header carries the run's name as last written through this
        # writer, so a run whose RunStarted sits in a damaged segment still has a name.
        self.run_name: str | None = None
        # The hot path takes no lock: deque.append is atomic, so appends from several
        # threads stay safe and cost half as much as under a Lock. Seqs are given when
        # the queue is drained, so a segment's seqs run contiguously in file order and a
        # kill -9 can only lose a tail, never leave a gap.
        self._seq = 0  # highest seq given out; guarded by _io_lock
        self._queue: deque[AnyEvent] = deque()
        self._max_buffered = self.policy.max_buffered_events
        self._io_lock = threading.RLock()  # serializes file work
        self._segment_no = FIRST_SEGMENT - 1
        self._fd: int | None = None
        self._path: Path | None = None
        self._written = 0
        self._pending: list[Buffer] = []  # encoded, not yet in the current segment
        self._pending_bytes = 0
        self._unsynced: list[Buffer] = []  # written (active or retired segments), not fsynced
        self._unsynced_bytes = 0
        # Full segments are not fsynced when the next one opens but with the next fsync the
        # policy calls for, all at once: a fast logger filling several segments a second paid
        # two fsyncs each (the file, the folder for the new name), ~3-12 ms apiece here.
        self._retired: list[tuple[int, Path]] = []  # full, not yet fsynced, oldest first
        self._dir_unsynced = False  # a segment was created since the folder's last fsync
        self._last_fsync = time.monotonic()
        self._retry_at = 0.0
        self._failing = False
        self._forked = False
        self._sealing = SealQueue(self._seal_quietly)  # full segments, once fsynced
        self._closed = False
        self._main_thread_flushing = 0  # >0 while the main thread is inside flush()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="runar-flush", daemon=True)
        process_hooks.register(self)
        self._thread.start()

    # -- hot path -----------------------------------------------------------------
    def append(self, event: AnyEvent) -> None:
        """Stamp writer, seq and (if unset) time on the event and queue it; never raises."""
        if not event.ts:
            event.ts = _time_ns()
        event.writer = self.writer_id
        self._queue.append(event)
        if len(self._queue) >= self._max_buffered:
            self._flush_quietly(durable=False)

    def _append_late(self, event: AnyEvent) -> None:
        """append() after close (e.g. from another atexit hook): write through and seal."""
        JournalWriter.append(self, event)
        self._flush_and_seal()

    def _append_in_fork(self, event: AnyEvent) -> None:
        """append() in a forked child: the parent owns this writer; a child needs its own."""
        self.dropped += 1

    @property
    def last_seq(self) -> int:
        """The seq the last appended event has or will get once flushed."""
        header = 1 if self._queue and self._fd is None and not self._pending else 0
        return self._seq + header + len(self._queue)

    def _drain(self) -> list[AnyEvent]:
        """Take what is queued now; events appended meanwhile stay for the next flush."""
        queue = self._queue
        batch = list(islice(iter(queue.popleft, None), len(queue)))
        # a C-level loop: a Python one cost about a tenth of encoding the batch
        deque(map(setattr, batch, repeat("seq"), count(self._seq + 1)), maxlen=0)
        self._seq += len(batch)
        return batch

    # -- flushing -----------------------------------------------------------------
    def flush(self, durable: bool = False) -> None:
        """Hand queued events to the OS; with ``durable``, fsync them too."""
        on_main = threading.current_thread() is threading.main_thread()
        with self._io_lock:
            self._main_thread_flushing += on_main
            try:
                self._flush_locked(durable)
            finally:
                self._main_thread_flushing -= on_main
        if on_main:
            process_hooks.resume_deferred_signal()

    def _flush_locked(self, durable: bool) -> None:
        if self._forked:
            return
        writable = durable or time.monotonic() >= self._retry_at
        if self._fd is None and not self._pending and self._queue and writable:
            # The header takes its seq before the batch does: a file's seqs then rise
            # in file order and a kill -9, which keeps a prefix, can only lose a tail.
            self._open_quietly()
        batch = self._drain()
        if batch:
            self._encode_batch(batch)
        if self._pending and writable:
            self._write_pending()
        due = time.monotonic() - self._last_fsync >= self.policy.fsync_interval_s
        if self._unsynced and (durable or due or self._unsynced_bytes > UNSYNCED_LIMIT_BYTES):
            self._fsync()
        if self._fd is not None and self._written >= self.policy.segment_bytes:
            self._rotate()

    def _flush_quietly(self, durable: bool) -> None:
        try:
            self.flush(durable=durable)
        except Exception as exc:  # the caller's training loop must outlive any surprise
            self._report(OSError(f"runar could not write its log: {exc!r}"))

    def _encode_batch(self, batch: list[AnyEvent]) -> None:
        try:
            parts = encode_block_parts(batch)
        except (TypeError, ValueError, OverflowError):
            parts = self._encode_one_by_one(batch)
        if not _NAMING_TYPES.isdisjoint(map(type, batch)):  # C-speed, unlike a scan of the bytes
            self._learn_name(batch)
        self._pending += parts
        self._pending_bytes += sum(map(len, parts))

    def _learn_name(self, batch: list[AnyEvent]) -> None:
        for event in batch:
            if isinstance(event, (RunStarted, RunRenamed)) and event.name:
                self.run_name = event.name

    def _encode_one_by_one(self, batch: list[AnyEvent]) -> list[Buffer]:
        """Keep every event that can be encoded when one of the batch cannot."""
        kept: list[AnyEvent] = []
        for event in batch:
            try:
                encode_json(event)
            except (TypeError, ValueError, OverflowError) as exc:
                self.dropped += 1
                self._report(OSError(f"runar dropped an event it cannot encode: {exc}"))
            else:
                kept.append(event)
        return encode_block_parts(kept)

    def _write_pending(self) -> None:
        try:
            if self._fd is None:
                self._open_segment()
            while self._pending:
                parts = self._pending[:_IOV_MAX]
                self._pending_bytes -= self._write_raw(parts)
                del self._pending[: len(parts)]
        except OSError as exc:
            self._fail(exc)

    def _open_quietly(self) -> None:
        try:
            self._open_segment()
        except OSError as exc:
            self._fail(exc)

    def _open_segment(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._segment_no += 1
        stem = segment_stem(self.writer_id, self._segment_no)
        path = self.run_dir / f"{stem}{PLAIN_SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._path = path
        self._written = 0
        self._dir_unsynced = True  # the new name is made durable with the segment's bytes
        self._seq += 1
        seq = self._seq
        opened = WriterOpened(
            run_id=self.run_id,
            role=self.role,
            host=socket.gethostname(),
            pid=self.pid,
            segment=self._segment_no,
            format=SEGMENT_FORMAT,
            runar_version=_runar_version(),
            run_name=self.run_name,
            writer=self.writer_id,
            seq=seq,
            ts=time.time_ns(),
        )
        self._write_raw([encode_line(opened)])

    def _write_raw(self, parts: list[Buffer]) -> int:
        """Write whole buffers, in order, with one system call when the OS takes them all.

        They count as written (and are kept for a retry until fsynced) only once all are:
        on an error they all stay pending and go whole into the next segment.
        """
        assert self._fd is not None
        size = sum(map(len, parts))
        done = _writev(self._fd, parts)
        if done < size:  # a short write (a signal, a nearly full disk): finish it piece by piece
            view = memoryview(b"".join(parts))[done:]
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
                self._written += n
        self._written += done
        self._unsynced += parts
        self._unsynced_bytes += size
        return size

    def _fsync(self) -> None:
        """Make everything written durable: full segments not yet synced, the active one, names."""
        files = list(self._retired)
        if self._fd is not None and self._path is not None:
            files.append((self._fd, self._path))
        if not files:
            return
        try:
            for fd, path in files:
                os.fsync(fd)
                if os.fstat(fd).st_nlink == 0:  # writes to a deleted file reach nobody
                    raise OSError(errno.ENOENT, "a segment was deleted while written", str(path))
            if self._dir_unsynced:
                fsync_dir(self.run_dir)
                self._dir_unsynced = False
        except OSError as exc:
            # A failed fsync is never retried and trusted: the page cache may have dropped
            # those pages. Everything since the last good fsync goes to a new segment.
            self._fail(exc)
            self._write_pending()
            return
        retired, self._retired = self._retired, []
        for fd, path in retired:
            with contextlib.suppress(OSError):
                os.close(fd)
            self._sealing.put(path)
        self._unsynced.clear()
        self._unsynced_bytes = 0
        self._last_fsync = time.monotonic()
        if not self._pending:
            self._failing = False  # healthy again: the next trouble is news

    def _fail(self, exc: OSError) -> None:
        """Abandon the active segment and full ones not yet synced; their lines stay readable."""
        self._close_unsynced_files()
        self._pending[:0] = self._unsynced
        self._pending_bytes += self._unsynced_bytes
        self._unsynced, self._unsynced_bytes = [], 0
        while self._pending_bytes > PENDING_LIMIT_BYTES and len(self._pending) > 1:
            lost = self._pending.pop()
            self._pending_bytes -= len(lost)
            if isinstance(lost, bytes) and lost.startswith(BLOCK_PREFIX) and self._pending:
                lost = self._pending.pop()  # a trailer: its block goes with it
                self._pending_bytes -= len(lost)
            self.dropped += bytes(lost).count(b"\n")  # a block's lines, or one header line
        self._retry_at = time.monotonic() + RETRY_INTERVAL_S
        self._report(exc)

    def _report(self, exc: OSError) -> None:
        if self._failing:
            return
        self._failing = True
        if self.on_error is not None:
            with contextlib.suppress(Exception):
                self.on_error(exc)

    def _close_unsynced_files(self) -> None:
        for fd, _ in self._retired:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._retired = []
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._path = None, None

    def _rotate(self) -> None:
        """Start a new segment at the next write; the full one is sealed once it is fsynced."""
        if self._fd is None or self._path is None:
            return
        if self._unsynced and len(self._retired) < RETIRED_LIMIT:
            self._retired.append((self._fd, self._path))  # the next _fsync() takes it
            self._fd, self._path = None, None
            return
        self._fsync()
        if self._unsynced:
            return  # the fsync failed: its bytes went to a new segment, which stays open
        path = self._close_fd()
        if path is not None:
            self._sealing.put(path)

    def _close_fd(self) -> Path | None:
        """Close the active segment (already fsynced); its path, or None if there was none."""
        if self._fd is None or self._path is None:
            return None
        path = self._path
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd, self._path = None, None
        return path

    def _flush_and_seal(self) -> None:
        """Write what is queued and seal the active segment, fsyncing each byte once.

        The seal fsyncs the compressed copy before its rename and the folder after it, so
        fsyncing the plain segment first would make the same bytes durable twice: two more
        fsyncs (the file, the folder for its name) at the end of every run. Until the
        rename is durable, the plain file's page cache holds what a crash of the process
        cannot lose; a crash of the machine loses at most what the fsync interval allows.
        Full segments not yet synced take the usual way: fsynced, then sealed in turn.
        """
        self._retry_at = 0.0  # a last attempt for what a failing disk held back
        # the durable way where the fsync has work of its own: full segments waiting for
        # it, or an active one deleted under us (the fsync notices, and writes it anew)
        self._flush_quietly(durable=bool(self._retired) or self._active_deleted())
        with self._io_lock:
            if self._pending or self._fd is None or self._path is None:
                return  # writing failed: what was written stays in the plain file, readable
            path = self._close_fd()
            assert path is not None
            try:
                seal(path)
            except Exception as exc:
                _fsync_file(path)  # the plain segment stays: durable, as the flush would have
                self._report(exc if isinstance(exc, OSError) else OSError(repr(exc)))
            self._unsynced.clear()
            self._unsynced_bytes = 0

    def _active_deleted(self) -> bool:
        with self._io_lock:
            if self._fd is None:
                return False
            try:
                return os.fstat(self._fd).st_nlink == 0
            except OSError:
                return True  # cannot tell: take the way that checks

    def _seal_quietly(self, path: Path) -> None:
        try:
            seal(path)
        except Exception as exc:
            # the plain segment stays complete and readable; sealing is only compaction
            self._report(exc if isinstance(exc, OSError) else OSError(repr(exc)))

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.policy.flush_interval_s)
            if self._closed:
                break
            self._flush_quietly(durable=False)

    # -- lifecycle ----------------------------------------------------------------
    def close(self) -> None:
        """Flush durably, seal the active segment and stop the thread; idempotent."""
        if self._closed:
            return
        if os.getpid() != self.pid:
            self._forget_after_fork()
            return
        self._closed = True
        self.append = self._append_late  # type: ignore[method-assign]
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._flush_and_seal()
        self._sealing.finish()
        process_hooks.forget(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent owns these segments and this buffer."""
        self._forked = True
        self._closed = True
        self.append = self._append_in_fork  # type: ignore[method-assign]
        self._queue = deque()
        self._pending, self._unsynced = [], []
        self._sealing = SealQueue(self._seal_quietly)  # the parent's thread is not here
        self._close_unsynced_files()  # the child's copies only; the parent's stay open
        process_hooks.forget(self)

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fsync_file(path: Path) -> None:
    """fsync a closed file and its folder's entry for it; errors are the seal's, reported."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(path.parent)


def _writev(fd: int, parts: list[Buffer]) -> int:
    """os.writev where the OS has it; the bytes written."""
    if _HAS_WRITEV:
        return os.writev(fd, parts)
    return os.write(fd, b"".join(parts))


_HAS_WRITEV: Final = hasattr(os, "writev")


def _iov_max() -> int:
    """Buffers one writev takes: the OS's limit (1024 on Linux and macOS), POSIX's 16 at least."""
    try:
        return max(16, min(1024, os.sysconf("SC_IOV_MAX")))
    except (AttributeError, ValueError, OSError):
        return 16


_IOV_MAX: Final = _iov_max()
