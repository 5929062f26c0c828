"""JournalWriter: one process's append-only segments of one run.

``append()`` only stamps the envelope and queues the event; a background thread gives
each batch its seqs, encodes it as checked blocks (codec.py) and passes the bytes to its
SegmentWriter (segment_writer.py), which hands them to the OS every ``flush_interval_s``,
fsyncs every ``fsync_interval_s``, rotates full segments and seals them. close(),
interpreter exit and SIGTERM (process_hooks.py) flush durably and seal.

Storage trouble never raises into the caller: the SegmentWriter reports it once per
episode and retries (see its module for what a failing disk can cost).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from itertools import count, islice, repeat
from pathlib import Path
from typing import Final

from runar.codec import SEGMENT_FORMAT, encode_block_parts, encode_json, encode_line
from runar.events import AnyEvent, RunRenamed, RunStarted, WriterOpened
from runar.ids import host_name, new_writer_id
from runar.journal import process_hooks
from runar.journal.policy import FlushPolicy
from runar.journal.segment_writer import (
    PENDING_LIMIT_BYTES,
    RETIRED_LIMIT,
    RETRY_INTERVAL_S,
    UNSYNCED_LIMIT_BYTES,
    Buffer,
    ErrorHandler,
    SegmentWriter,
)

__all__ = [
    "PENDING_LIMIT_BYTES",
    "RETIRED_LIMIT",
    "RETRY_INTERVAL_S",
    "UNSYNCED_LIMIT_BYTES",
    "Buffer",
    "ErrorHandler",
    "JournalWriter",
]

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
        self.pid = os.getpid()
        self._dropped = 0  # events that could not be encoded, or were appended in a fork
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
        # _open_segment, bound here, so that a subclass's (HttpWriter's) is the one called
        self._files = SegmentWriter(
            self.run_dir, self.writer_id, self.policy, self._open_segment, on_error
        )
        self._forked = False
        self._closed = False
        self._main_thread_flushing = 0  # >0 while the main thread is inside flush()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="runar-flush", daemon=True)
        process_hooks.register(self)
        self._thread.start()

    @property
    def on_error(self) -> ErrorHandler | None:
        """Told of the first storage trouble of each episode."""
        return self._files.on_error

    @property
    def dropped(self) -> int:
        """Events lost: unencodable, appended in a forked child, or past the pending limit."""
        return self._dropped + self._files.dropped

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
        self._dropped += 1

    @property
    def last_seq(self) -> int:
        """The seq the last appended event has or will get once flushed."""
        header = 1 if self._queue and self._files.starts_fresh else 0
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
        files = self._files
        writable = files.writable(durable)
        if files.starts_fresh and self._queue and writable:
            # The header takes its seq before the batch does: a file's seqs then rise
            # in file order and a kill -9, which keeps a prefix, can only lose a tail.
            files.open_quietly()
        batch = self._drain()
        if batch:
            self._encode_batch(batch)
        files.flush(writable, durable)

    def _flush_quietly(self, durable: bool) -> None:
        try:
            self.flush(durable=durable)
        except Exception as exc:  # the caller's training loop must outlive any surprise
            self._files.report(OSError(f"runar could not write its log: {exc!r}"))

    def _encode_batch(self, batch: list[AnyEvent]) -> None:
        try:
            parts = encode_block_parts(batch)
        except (TypeError, ValueError, OverflowError):
            parts = self._encode_one_by_one(batch)
        if not _NAMING_TYPES.isdisjoint(map(type, batch)):  # C-speed, unlike a scan of the bytes
            self._learn_name(batch)
        self._files.add(parts)

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
                self._dropped += 1
                self._files.report(OSError(f"runar dropped an event it cannot encode: {exc}"))
            else:
                kept.append(event)
        return encode_block_parts(kept)

    def _open_segment(self) -> None:
        """Start the next segment: its file, then its header line, which takes the next seq."""
        segment_no = self._files.create()
        self._seq += 1
        opened = WriterOpened(
            run_id=self.run_id,
            role=self.role,
            host=host_name(),
            pid=self.pid,
            segment=segment_no,
            format=SEGMENT_FORMAT,
            runar_version=_runar_version(),
            run_name=self.run_name,
            writer=self.writer_id,
            seq=self._seq,
            ts=time.time_ns(),
        )
        self._files.write([encode_line(opened)])

    def _flush_and_seal(self) -> None:
        """Write what is queued and seal the active segment, fsyncing each byte once.

        The seal fsyncs the compressed copy before its rename and the folder after it, so
        fsyncing the plain segment first would make the same bytes durable twice: two more
        fsyncs (the file, the folder for its name) at the end of every run. Until the
        rename is durable, the plain file's page cache holds what a crash of the process
        cannot lose; a crash of the machine loses at most what the fsync interval allows.
        Full segments not yet synced take the usual way: fsynced, then sealed in turn.
        """
        self._files.retry_now()
        # the durable way where the fsync has work of its own: full segments waiting for
        # it, or an active one deleted under us (the fsync notices, and writes it anew)
        self._flush_quietly(durable=self._files.retired > 0 or self._active_deleted())
        with self._io_lock:
            self._files.seal_active()

    def _active_deleted(self) -> bool:
        with self._io_lock:
            return self._files.active_deleted()

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
        self._files.sealing.finish()
        process_hooks.forget(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent owns these segments and this buffer."""
        self._forked = True
        self._closed = True
        self.append = self._append_in_fork  # type: ignore[method-assign]
        self._queue = deque()
        self._files.forget_after_fork()
        process_hooks.forget(self)

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
