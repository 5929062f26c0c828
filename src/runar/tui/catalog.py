"""The dashboard's only door to the views: one index open at a time, from worker threads.

LMDB forbids opening the same environment twice in one process, and catch-up, listing
and frames each open it; ``INDEX_LOCK`` serializes them. Nothing here runs on the UI
thread: the app keeps the summaries it shows in memory (``RunEntry``).
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runar.errors import RunarError
from runar.store import Store
from runar.views.summary import RunSummary

if TYPE_CHECKING:
    import polars as pl

    from runar.projector import CatchUpReport

INDEX_LOCK = threading.Lock()


@dataclass
class RunEntry:
    """A run as the dashboard shows it: its summary and effective status."""

    summary: RunSummary
    status: str

    @property
    def run_id(self) -> str:
        return self.summary.run_id


@dataclass
class Changes:
    """What one catch-up changed: fresh entries, and ids of runs that are gone."""

    changed: dict[str, RunEntry]
    removed: list[str]


class Catalog:
    """Reads summaries, catches up and deletes runs of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def page(self, limit: int | None) -> tuple[list[RunEntry], int]:
        """The newest ``limit`` runs (all when None) as the index holds them, and the count."""
        from runar.views import open_views

        with INDEX_LOCK, open_views(self.store, catch_up=False) as views:
            rows = views.runs(limit=limit)
            return [RunEntry(s, views.status(s)) for s in rows], views.count()

    def catch_up(self) -> Changes:
        """Fold what is new in the log; the entries of the runs that changed."""
        from runar.projector import catch_up
        from runar.views import open_views

        with INDEX_LOCK:
            report: CatchUpReport = catch_up(self.store)
            changed: dict[str, RunEntry] = {}
            if report.runs_changed:
                with open_views(self.store, catch_up=False) as views:
                    for run_id in report.runs_changed:
                        try:
                            summary = views.get(run_id)
                        except RunarError:
                            continue  # deleted between the fold and now
                        if summary.is_sweep_record:
                            continue  # a `runar sweep`'s own record is not a run to list
                        changed[run_id] = RunEntry(summary, views.status(summary))
        return Changes(changed, list(report.runs_removed))

    def delete(self, run_ids: list[str]) -> Changes:
        """Remove the runs' folders (log and artifacts), then let the projector drop them."""
        for run_id in run_ids:
            shutil.rmtree(self.store.run_dir(run_id), ignore_errors=True)
        changes = self.catch_up()
        gone = set(changes.removed) | set(run_ids)
        return Changes(changes.changed, sorted(gone))

    def metrics(self, run_ids: list[str], keys: list[str] | None = None) -> pl.DataFrame:
        """Every metric point of the runs, long format (see runar.frames.metrics)."""
        import polars as pl

        import runar.frames as frames

        with INDEX_LOCK:
            present = [r for r in run_ids if self.store.run_dir(r).is_dir()]
            if not present:
                return pl.DataFrame()
            try:
                # the watcher keeps the index current; no second catch-up per redraw
                return frames.metrics(runs=present, keys=keys, store=self.store, catch_up=False)
            except RunarError:
                return pl.DataFrame()  # a run deleted by another process meanwhile
