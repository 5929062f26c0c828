"""Reading back what an import wrote: the run's raw events and its folded summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from runar.events import ConfigSet, MetricsLogged, RunFinished, RunStarted, TagsChanged
from runar.journal import read_run
from runar.store import Store

DATA = Path(__file__).parent / "data"


class Imported:
    """One imported run as the log holds it."""

    def __init__(self, store: Store, run_id: str) -> None:
        read = read_run(store.run_dir(run_id))
        assert read.corrupt == 0
        self.events = read.events
        self.started = next(e for e in self.events if isinstance(e, RunStarted))
        self.finished = next(e for e in self.events if isinstance(e, RunFinished))
        self.config: dict = {}
        for event in self.events:
            if isinstance(event, ConfigSet):
                self.config.update(event.values)
        self.tags = [t for e in self.events if isinstance(e, TagsChanged) for t in e.added]
        self.metrics = [
            (e.ts, e.step, e.values) for e in self.events if isinstance(e, MetricsLogged)
        ]

    def series(self, key: str) -> list[tuple[int | None, float]]:
        """(step, value) of one metric in log order."""
        return [(step, values[key]) for _, step, values in self.metrics if key in values]


@pytest.fixture
def imported(store: Store):
    return lambda run_id: Imported(store, run_id)


def segment_files(store: Store) -> set[Path]:
    """Every file under runs/: a second import must add none."""
    return {p for p in store.runs_dir.rglob("*") if p.is_file()}
