"""A run's raw events as they are written: what `logs --follow` and `replay --follow` read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Final

from runar.events import AnyEvent, RunFinished, Unknown
from runar.journal import list_segments, read_run, read_segment
from runar.journal.reader import event_order
from runar.store import Store

POLL_S: Final = 0.2
FINISH_GRACE_S: Final = 0.5  # after RunFinished, other writers (the SDK) may still flush
LIVENESS_CHECK_S: Final = 5.0  # a silent run is asked whether it still lives this often

Event = AnyEvent | Unknown


class LogTail:
    """New events of one run on each poll, every ``(writer, seq)`` once."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.run_dir = store.run_dir(run_id)
        self.offsets: dict[str, int] = {}
        self.seen: set[tuple[str, int]] = set()

    def poll(self) -> list[Event]:
        """Events written since the last poll, in replay order."""
        fresh: list[Event] = []
        for seg in list_segments(self.run_dir):
            got = read_segment(seg, self.offsets.get(seg.key, 0))
            self.offsets[seg.key] = got.end  # uncompressed offsets survive sealing
            for event in got.events:
                ident = (event.writer, event.seq)
                if ident not in self.seen:
                    self.seen.add(ident)
                    fresh.append(event)
        fresh.sort(key=event_order)
        return fresh


def _still_running(store: Store, run_id: str) -> bool:
    from runar.views import open_views

    with open_views(store) as views:
        return views.status(views.get(run_id)) == "running"


def run_events(store: Store, run_id: str, follow: bool = False) -> Iterator[Event]:
    """The run's events in order; with ``follow``, keep yielding until the run ends."""
    if not follow:
        yield from read_run(store.run_dir(run_id)).events
        return
    tail = LogTail(store, run_id)
    finished_at: float | None = None
    quiet_since = time.monotonic()
    while True:
        batch = tail.poll()
        now = time.monotonic()
        if batch:
            quiet_since = now
            yield from batch
            if finished_at is None and any(isinstance(e, RunFinished) for e in batch):
                finished_at = now
        elif finished_at is not None and now - finished_at >= FINISH_GRACE_S:
            return
        elif finished_at is None and now - quiet_since >= LIVENESS_CHECK_S:
            if not _still_running(store, run_id):
                return  # crashed without a RunFinished: nothing more will come
            quiet_since = now
        time.sleep(POLL_S)
