"""A run's captured output and system samples, read from the log incrementally.

Each poll reads only what segments gained since the last one (uncompressed offsets
survive sealing), every ``(writer, seq)`` once, so a client following a live run's
logs costs one small read per request. Positions in ``chunks`` never move: ``pos``
in the logs API is an index into it. A few recently asked runs are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from runar.events import GpuSample, OutputCaptured, SystemSampled
from runar.journal.reader import event_order, read_segment
from runar.journal.segment import list_segments
from runar.store import Store

CACHED_RUNS: Final = 8


@dataclass(frozen=True)
class Chunk:
    stream: str
    text: str
    ts: int


@dataclass
class Sample:
    ts: int
    cpu_percent: float
    rss_bytes: int
    ram_percent: float | None
    gpus: list[GpuSample]


@dataclass
class RunOutput:
    """What has been read of one run so far."""

    offsets: dict[str, int] = field(default_factory=dict)
    seen: set[tuple[str, int]] = field(default_factory=set)
    chunks: list[Chunk] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class OutputCache:
    """Incremental readers of the runs clients look at, least recently used dropped."""

    def __init__(self, store: Store, capacity: int = CACHED_RUNS) -> None:
        self.store = store
        self.capacity = capacity
        self._runs: OrderedDict[str, RunOutput] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, run_id: str) -> RunOutput:
        """The run's output and samples, brought up to date with its log."""
        with self._lock:
            run = self._runs.pop(run_id, None) or RunOutput()
            self._runs[run_id] = run
            while len(self._runs) > self.capacity:
                self._runs.popitem(last=False)
        with run.lock:
            _poll(self.store, run_id, run)
        return run


def _poll(store: Store, run_id: str, run: RunOutput) -> None:
    fresh = []
    for seg in list_segments(store.run_dir(run_id)):
        got = read_segment(seg, run.offsets.get(seg.key, 0))
        run.offsets[seg.key] = got.end
        for event in got.events:
            if not isinstance(event, (OutputCaptured, SystemSampled)):
                continue
            ident = (event.writer, event.seq)
            if ident not in run.seen:
                run.seen.add(ident)
                fresh.append(event)
    fresh.sort(key=event_order)
    for event in fresh:
        if isinstance(event, OutputCaptured):
            run.chunks.append(Chunk(event.stream, event.content(), event.ts))
        else:
            run.samples.append(
                Sample(event.ts, event.cpu_percent, event.rss_bytes, event.ram_percent, event.gpus)
            )
