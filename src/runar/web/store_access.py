"""The server's one door to the store's index: catch-up, summaries and metric frames.

LMDB forbids opening one environment twice in a process, and catch-up, summaries and
``frames.metrics`` each open it, so every use holds ``lock`` (opening costs < 1 ms).
Summaries are read per request instead of being kept: 10,000 of them with their
environments and package lists would not fit the memory budget.

A catch-up reports only what it folded itself, and every CLI command catches up too:
``runar rm`` forgets the runs it deletes, ``runar reindex`` rebuilds everything, ``runar
ls`` folds what a training wrote. So each catch-up here also compares the index's run
stamps (one small LMDB table) with the last ones seen: a run gone from them was removed,
a changed stamp is a run another process folded, and a new index file means a rebuild.
"""

from __future__ import annotations

import os
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
        self._stamps: dict[str, bytes] = {}  # the index's run stamps at the last look
        self._index_file: tuple[int, int] | None = None  # (device, inode) of that index

    def _look(self) -> tuple[dict[str, bytes], tuple[int, int] | None]:
        """The index's run stamps and the identity of its file (hold ``lock``)."""
        from runar.views.index import Index

        try:
            found = os.stat(self.store.index_dir / "lmdb" / "data.mdb")
        except OSError:
            return {}, None
        index = Index(self.store)
        try:
            with index.read() as txn:
                return index.stamps(txn), (found.st_dev, found.st_ino)
        finally:
            index.close()

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
                self._stamps, self._index_file = self._look()
        with self.views() as views:
            own = store_project(self.store.root)
            return [run_row(s, effective_status(s), own) for s in views.runs()]

    def catch_up(self) -> Delta:
        """Fold what is new in the log; the rows of the runs that changed."""
        from runar.projector import catch_up

        with self.lock:
            report = catch_up(self.store)
            stamps, index_file = self._look() if self.store.exists else ({}, None)
        seen, self._stamps = self._stamps, stamps
        rebuilt, self._index_file = index_file != self._index_file, index_file
        changed = dict.fromkeys(report.runs_changed)
        if rebuilt:  # `runar reindex` (or a deleted index) folded what this server missed
            changed.update(dict.fromkeys(stamps))
        else:
            changed.update((r, None) for r, stamp in stamps.items() if seen.get(r) != stamp)
        removed = set(report.runs_removed) | (seen.keys() - stamps.keys())
        return Delta(self.rows_of(list(changed)), sorted(removed))

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
