"""Live updates: one watcher on the store, one catch-up per burst, deltas to every tab.

``StoreWatcher`` (a thread) blocks on watchfiles, folds each burst of changes with one
catch-up, refreshes the run table and hands the delta to ``Hub.publish`` on the event
loop. Each subscriber holds only the latest row per changed run, so a slow client is
coalesced (it gets one merged event) and one too far behind gets ``event: reset``:
memory per client is bounded by the number of runs, never by how long it lags. The
hub keeps the recent deltas so a client reconnecting with ``Last-Event-ID`` misses
nothing; an id older than that history gets ``event: reset`` (the client reloads).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Final

from runar.web.encoding import encode
from runar.web.rows import Row
from runar.web.store_access import Delta, StoreAccess
from runar.web.table import RunTable

PING_S: Final = 15.0
HISTORY: Final = 1024  # deltas kept for Last-Event-ID resume
MAX_PENDING_RUNS: Final = 5000  # a client further behind than this many runs is reset
RETRY_MS: Final = 1000  # how soon a browser reconnects
DEBOUNCE_MS: Final = 50  # the SDK flushes every 100 ms; a point must reach the page within 1 s
STEP_MS: Final = 25
LIVENESS_S: Final = 5.0  # a 'running' run whose process died turns 'crashed' without an event

log = logging.getLogger("runar.web")


@dataclass
class Change:
    seq: int
    changed: list[Row]
    removed: list[str]


@dataclass(eq=False)  # compared by identity: subscribers live in a set
class Subscriber:
    """One open stream: what it has not been sent yet, merged per run."""

    changed: dict[str, Row] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    seq: int = 0
    reset: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, change: Change) -> None:
        for row in change.changed:
            self.changed[row["id"]] = row
            self.removed.discard(row["id"])
        for run_id in change.removed:
            self.changed.pop(run_id, None)
            self.removed.add(run_id)
        self.seq = change.seq
        if len(self.changed) + len(self.removed) > MAX_PENDING_RUNS:
            self.reset = True
        self.wake.set()

    def take(self) -> bytes:
        """The next message: a reset, the merged runs delta, or nothing."""
        if self.reset:
            self.reset = False
            self.changed, self.removed = {}, set()
            return f"id: {self.seq}\nevent: reset\ndata: {{}}\n\n".encode()
        if not self.changed and not self.removed:
            return b""
        data = encode({"changed": list(self.changed.values()), "removed": sorted(self.removed)})
        self.changed, self.removed = {}, set()
        return b"id: %d\nevent: runs\ndata: %s\n\n" % (self.seq, data)


class Hub:
    """Fans deltas out to subscribers; lives on the event loop thread."""

    def __init__(self, ping_s: float = PING_S) -> None:
        self.ping_s = ping_s
        # Start past any id an earlier server handed out (ms since the epoch), so a tab that
        # reconnects after a restart sends an id this hub never issued and gets a reset.
        self.seq = time.time_ns() // 1_000_000
        self.history: deque[Change] = deque(maxlen=HISTORY)
        self.subscribers: set[Subscriber] = set()
        self.closed = False

    def publish(self, delta: Delta) -> None:
        self.seq += 1
        change = Change(self.seq, delta.changed, delta.removed)
        self.history.append(change)
        for sub in list(self.subscribers):
            sub.add(change)

    def subscribe(self, last_event_id: str | None) -> Subscriber:
        """A new subscriber; with ``last_event_id``, everything after it is queued first."""
        sub = Subscriber(seq=self.seq)
        if last_event_id is not None:
            text = last_event_id.strip()  # ASCII: '²' passes isdigit() and fails int()
            after = int(text) if text.isascii() and text.isdigit() else -1
            oldest = self.history[0].seq if self.history else self.seq + 1
            if after < 0 or after > self.seq or (after < self.seq and oldest > after + 1):
                sub.reset = True  # unknown or forgotten position (e.g. a restarted server)
            else:
                for change in self.history:
                    if change.seq > after:
                        sub.add(change)
        self.subscribers.add(sub)
        return sub

    def close(self) -> None:
        """End every stream (shutdown)."""
        self.closed = True
        for sub in self.subscribers:
            sub.wake.set()

    async def messages(
        self, sub: Subscriber, allowed: Callable[[], bool] | None = None
    ) -> AsyncIterator[bytes]:
        """The SSE byte stream of one subscriber until it disconnects or the hub closes.

        ``allowed``: asked before each message and ping; False (a revoked ``runar token``)
        ends the stream, and the browser's reconnect then meets the 401.
        """
        try:
            yield f"retry: {RETRY_MS}\nid: {sub.seq}\n\n".encode()  # a position to resume from
            while not self.closed:
                if allowed is not None and not await asyncio.to_thread(allowed):
                    return
                sub.wake.clear()
                message = sub.take()
                if message:
                    yield message
                    continue
                try:
                    await asyncio.wait_for(sub.wake.wait(), self.ping_s)
                except asyncio.TimeoutError:
                    yield b": ping\n\n"
        finally:
            self.subscribers.discard(sub)


class StoreWatcher:
    """A thread: watchfiles on runs/ → one catch-up → table update → ``on_delta``."""

    def __init__(
        self,
        access: StoreAccess,
        table: RunTable,
        on_delta: Callable[[Delta], None],
        liveness_s: float = LIVENESS_S,
    ) -> None:
        self.access = access
        self.table = table
        self.on_delta = on_delta
        self.liveness_s = liveness_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="runar-web-watch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def refresh(self) -> None:
        """Fold what is new and publish what changed."""
        delta = self.access.catch_up()
        self._publish(delta)

    def check_liveness(self) -> None:
        """Re-read running runs: a dead process makes one 'crashed' with no new event."""
        running = self.table.running()
        fresh = self.access.rows_of(running)
        moved = [r for r in fresh if r["status"] != "running"]
        self._publish(Delta(moved, []))

    def _publish(self, delta: Delta) -> None:
        if delta.changed or delta.removed:
            self.table.apply(delta.changed, delta.removed)
            self.on_delta(delta)

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # the stream must outlive one bad catch-up; say so loudly
            log.exception(
                "runar serve: updating from the store failed; retrying on the next change"
            )

    def _run(self) -> None:
        import watchfiles

        runs_dir = self.access.store.runs_dir
        while not self.stop_event.is_set():
            if not runs_dir.is_dir():
                self.stop_event.wait(1.0)  # no store yet: the first run creates it
                if runs_dir.is_dir():
                    self._guarded(self.refresh)
                continue
            self._guarded(self.refresh)  # whatever changed while nobody watched
            for changes in watchfiles.watch(
                runs_dir,
                stop_event=self.stop_event,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                rust_timeout=int(self.liveness_s * 1000),
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self._guarded(self.refresh if changes else self.check_liveness)
                if not runs_dir.is_dir():
                    break
