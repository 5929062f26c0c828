"""A run's raw log read incrementally: captured output and system samples, new bytes only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runar.events import OutputCaptured, SystemSampled
from runar.journal import list_segments, read_segment
from runar.journal.segment import segment_stem


@dataclass
class LogDelta:
    """What appeared since the last poll, in time order."""

    output: list[OutputCaptured] = field(default_factory=list)
    system: list[SystemSampled] = field(default_factory=list)
    corrupt: int = 0


class RunLog:
    """Remembers how far each segment was read, so following a live run costs only new bytes."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._offsets: dict[str, int] = {}
        self._seen_state: dict[str, tuple[bool, int]] = {}
        self._seen: set[tuple[str, int]] = set()

    def poll(self) -> LogDelta:
        """Events of the kinds the dashboard shows raw, appended since the last poll."""
        delta = LogDelta()
        for seg in list_segments(self.run_dir):
            stem = segment_stem(seg.writer, seg.number)
            state = (seg.sealed, seg.size)
            if self._seen_state.get(stem) == state:
                continue  # unchanged since the last read: skip decompressing it again
            got = read_segment(seg, self._offsets.get(stem, 0))
            self._offsets[stem] = got.end
            self._seen_state[stem] = state
            delta.corrupt += got.corrupt
            for event in got.events:
                if not isinstance(event, OutputCaptured | SystemSampled):
                    continue
                ident = (event.writer, event.seq)
                if ident in self._seen:
                    continue  # the same segment copied twice (sync) is shown once
                self._seen.add(ident)
                if isinstance(event, OutputCaptured):
                    delta.output.append(event)
                else:
                    delta.system.append(event)
        delta.output.sort(key=lambda e: (e.ts, e.writer, e.seq))
        delta.system.sort(key=lambda e: (e.ts, e.writer, e.seq))
        return delta
