"""SegmentWriter: one journal writer's segment files, from encoded bytes to sealed segments.

JournalWriter hands it encoded buffers; it writes them in order (writev), fsyncs by the
flush policy, rotates a full segment and seals it once it is durable. It knows bytes, not
events: the header line that starts each segment (and takes a seq) is the JournalWriter's,
through the ``open_segment`` callable. Not thread-safe: callers hold the writer's I/O lock.

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.codec import BLOCK_PREFIX
from runar.journal.policy import FlushPolicy
from runar.journal.seal_queue import SealQueue
from runar.journal.segment import FIRST_SEGMENT, PLAIN_SUFFIX, fsync_dir, seal, segment_stem

UNSYNCED_LIMIT_BYTES: Final = 64 << 20  # fsync early rather than hold more for a retry
PENDING_LIMIT_BYTES: Final = 256 << 20  # past this, a failing disk costs events, not RAM
RETRY_INTERVAL_S: Final = 1.0  # a failing disk is retried this often, not on every flush
RETIRED_LIMIT: Final = 8  # full segments that may await their fsync (open files); then it runs
ErrorHandler = Callable[[OSError], None]
Buffer = bytes | memoryview  # a segment header line, a block of lines, or a block's trailer


class SegmentWriter:
    """Writes one writer's bytes into its own segment files, durably, and seals them."""

    def __init__(
        self,
        run_dir: Path,
        writer_id: str,
        policy: FlushPolicy,
        open_segment: Callable[[], None],
        on_error: ErrorHandler | None,
    ) -> None:
        """``open_segment`` starts a segment: ``create()``, then its header through ``write()``."""
        self.run_dir = run_dir
        self.writer_id = writer_id
        self.policy = policy
        self.on_error = on_error
        self.dropped = 0  # lines given up past PENDING_LIMIT_BYTES
        self._open_segment = open_segment
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
        self.sealing = SealQueue(self._seal_quietly)  # full segments, once fsynced

    @property
    def starts_fresh(self) -> bool:
        """No segment open and nothing waiting: the next batch opens one, header first."""
        return self._fd is None and not self._pending

    @property
    def retired(self) -> int:
        """Full segments awaiting their fsync."""
        return len(self._retired)

    def writable(self, durable: bool) -> bool:
        """Write now? Always when durable; else not while a failing disk awaits its retry."""
        return durable or time.monotonic() >= self._retry_at

    def retry_now(self) -> None:
        """Let the next flush retry at once: a last attempt for what a failing disk held back."""
        self._retry_at = 0.0

    def add(self, parts: list[Buffer]) -> None:
        """Take encoded buffers, in seq order, for the next write."""
        self._pending += parts
        self._pending_bytes += sum(map(len, parts))

    def flush(self, writable: bool, durable: bool) -> None:
        """Write what is pending, fsync when the policy (or ``durable``) says, rotate if full."""
        if self._pending and writable:
            self._write_pending()
        due = time.monotonic() - self._last_fsync >= self.policy.fsync_interval_s
        if self._unsynced and (durable or due or self._unsynced_bytes > UNSYNCED_LIMIT_BYTES):
            self._fsync()
        if self._fd is not None and self._written >= self.policy.segment_bytes:
            self._rotate()

    def _write_pending(self) -> None:
        try:
            if self._fd is None:
                self._open_segment()
            while self._pending:
                parts = self._pending[:_IOV_MAX]
                self._pending_bytes -= self.write(parts)
                del self._pending[: len(parts)]
        except OSError as exc:
            self._fail(exc)

    def open_quietly(self) -> None:
        """Start a segment now; trouble is reported and what was pending waits for a retry."""
        try:
            self._open_segment()
        except OSError as exc:
            self._fail(exc)

    def create(self) -> int:
        """Create the next segment file, empty, as the active one; its number."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._segment_no += 1
        stem = segment_stem(self.writer_id, self._segment_no)
        path = self.run_dir / f"{stem}{PLAIN_SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._path = path
        self._written = 0
        self._dir_unsynced = True  # the new name is made durable with the segment's bytes
        return self._segment_no

    def write(self, parts: list[Buffer]) -> int:
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
            self.sealing.put(path)
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
        self.report(exc)

    def report(self, exc: OSError) -> None:
        """Tell ``on_error`` of the first trouble of an episode; the rest until healthy again."""
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
            self.sealing.put(path)

    def _close_fd(self) -> Path | None:
        """Close the active segment (already fsynced); its path, or None if there was none."""
        if self._fd is None or self._path is None:
            return None
        path = self._path
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd, self._path = None, None
        return path

    def seal_active(self) -> None:
        """Close and seal the active segment, which the last flush wrote but did not fsync.

        The seal's own fsyncs (the compressed copy, then the folder) make its bytes durable
        once. Nothing happens if writing failed: what was written stays in the plain file,
        readable, and what was not stays pending.
        """
        if self._pending or self._fd is None or self._path is None:
            return
        path = self._close_fd()
        assert path is not None
        try:
            seal(path)
        except Exception as exc:
            _fsync_file(path)  # the plain segment stays: durable, as the flush would have
            self.report(exc if isinstance(exc, OSError) else OSError(repr(exc)))
        self._unsynced.clear()
        self._unsynced_bytes = 0

    def active_deleted(self) -> bool:
        """Was the active segment deleted under us (or can that not be told)?"""
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
            self.report(exc if isinstance(exc, OSError) else OSError(repr(exc)))

    def forget_after_fork(self) -> None:
        """In a forked child: the parent owns these segments and these bytes."""
        self._pending, self._unsynced = [], []
        self.sealing = SealQueue(self._seal_quietly)  # the parent's thread is not here
        self._close_unsynced_files()  # the child's copies only; the parent's stay open


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
