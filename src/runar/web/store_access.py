"""The server's one door to the store's index: catch-up, summaries and metric frames.

LMDB forbids opening one environment twice in a process, and catch-up, summaries and
``frames.metrics`` each open it, so every use holds ``lock`` (opening costs < 1 ms).
Summaries are read per request instead of being kept: 10,000 of them with their
environments and package lists would not fit the memory budget.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runar.projects import store_project
from runar.store import Store
from runar.views.liveness import effective_status
from runar.web.rows import Row, run_row

if TYPE_CHECKING:
    import polars as pl

    from runar.views import Views
    from runar.views.summary import RunSummary


@dataclass
class Delta:
    """What one catch-up changed: fresh rows and ids of runs that are gone."""

    changed: list[Row]
    removed: list[str]


class StoreAccess:
    """Serialized access to one store's views."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()

    @contextmanager
    def views(self) -> Iterator[Views]:
        from runar.views import open_views

        with self.lock, open_views(self.store, catch_up=False) as views:
            yield views

    def all_rows(self) -> list[Row]:
        """Catch up, then every run's row."""
        from runar.projector import catch_up

        with self.lock:
            if self.store.exists:
                catch_up(self.store)
        with self.views() as views:
            own = store_project(self.store.root)
            return [run_row(s, effective_status(s), own) for s in views.runs()]

    def catch_up(self) -> Delta:
        """Fold what is new in the log; the rows of the runs that changed."""
        from runar.projector import catch_up

        with self.lock:
            report = catch_up(self.store)
        return Delta(self.rows_of(report.runs_changed), list(report.runs_removed))

    def rows_of(self, run_ids: list[str]) -> list[Row]:
        """Fresh rows of these runs; ids no longer in the index are skipped."""
        if not run_ids:
            return []
        rows = []
        with self.views() as views:
            index = views.index
            if index is None:
                return []
            with index.read() as txn:
                for run_id in run_ids:
                    summary = index.summary(txn, run_id)
                    if summary is not None and not summary.is_sweep_record:
                        own = store_project(self.store.root)
                        rows.append(run_row(summary, effective_status(summary), own))
        return rows

    def summary(self, run_id: str) -> RunSummary | None:
        with self.views() as views:
            if views.index is None:
                return None
            with views.index.read() as txn:
                return views.index.summary(txn, run_id)

    def metrics(self, run_ids: list[str], keys: list[str] | None) -> pl.DataFrame:
        """Every metric point of these runs (see runar.frames.metrics)."""
        import runar.frames as frames

        with self.lock:
            # the watcher keeps the index current: no catch-up per request
            return frames.metrics(runs=run_ids, keys=keys, store=self.store, catch_up=False)
