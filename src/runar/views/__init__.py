"""Read-side API for front-ends: catch up, then query summaries from the index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from runar.ids import resolve
from runar.projects import store_project
from runar.store import Store
from runar.views.anomalies import Anomaly
from runar.views.liveness import effective_status
from runar.views.summary import RunSummary

if TYPE_CHECKING:
    import lmdb

    from runar.views.index import Index

__all__ = ["Anomaly", "RunSummary", "Views", "open_views"]

_RECORDED = ("completed", "failed", "killed", "crashed")


class Views:
    """Queries over one store's index; an absent store answers with nothing."""

    def __init__(self, store: Store, index: Index | None) -> None:
        self.store = store
        self.index = index

    def count(self) -> int:
        """Training runs, as runs() lists them: a sweep's own record is not one."""
        if self.index is None:
            return 0
        with self.index.read() as txn:
            return self.index.count(txn) - len(self.index.ids_with(txn, "source", "sweep"))

    def status(self, summary: RunSummary) -> str:
        """Effective status: running, completed, failed, killed or crashed."""
        return effective_status(summary)

    def runs(
        self,
        limit: int | None = None,
        status: str | None = None,
        tag: str | None = None,
        name: str | None = None,
        project: str | None = None,
        sweeps: bool = False,
    ) -> list[RunSummary]:
        """Summaries newest first, filtered; ``name`` matches a substring, any case.

        A sweep's own record (``runar sweep``) is not a training run: it is left out, or
        with ``sweeps`` it is the only kind returned.

        ``project`` is a project as listed: runs that recorded none count as the store's.
        """
        if self.index is None:
            return []
        index = self.index
        rows: list[RunSummary] = []
        with index.read() as txn:
            allowed: set[str] | None = None
            if project is not None:
                allowed = index.ids_with(txn, "project", project)
                if project == store_project(self.store.root):
                    allowed |= index.ids_with(txn, "project", "")
            if tag is not None:
                tagged = index.ids_with(txn, "tag", tag)
                allowed = tagged if allowed is None else allowed & tagged
            if name is not None:
                needle = name.lower()
                named = {
                    run_id
                    for run_name, ids in index.names(txn).items()
                    if needle in run_name.lower()
                    for run_id in ids
                }
                named |= {i for i in _all_ids(index, txn) if i.startswith(needle)}
                allowed = named if allowed is None else allowed & named
            if status is not None:
                recorded = index.ids_with(
                    txn, "status", status if status in _RECORDED else "running"
                )
                if status in ("running", "crashed"):
                    recorded |= index.ids_with(txn, "status", "running")
                allowed = recorded if allowed is None else allowed & recorded
            for run_id in index.newest_first(txn):
                if allowed is not None and run_id not in allowed:
                    continue
                summary = index.summary(txn, run_id)
                if summary is None or summary.is_sweep_record != sweeps:
                    continue
                if status is not None and effective_status(summary) != status:
                    continue
                rows.append(summary)
                if limit is not None and len(rows) >= limit:
                    break
        return rows

    def projects(self) -> dict[str, int]:
        """Project (as listed) → number of runs, most runs first."""
        if self.index is None:
            return {}
        with self.index.read() as txn:
            recorded = self.index.project_counts(txn)
        counts: dict[str, int] = {}
        for project, count in recorded.items():
            shown = project or store_project(self.store.root)
            counts[shown] = counts.get(shown, 0) + count
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def anomalies(self, ref: str | RunSummary) -> list[Anomaly]:
        """A run's anomalies (rules, alerts, a stall), in step order; see views/anomaly_watch.py."""
        from runar.views.anomaly_watch import anomalies_of

        return anomalies_of(ref if isinstance(ref, RunSummary) else self.get(ref))

    def run_ids(self) -> list[str]:
        if self.index is None:
            return []
        with self.index.read() as txn:
            return list(self.index.newest_first(txn))

    def get(self, ref: str) -> RunSummary:
        """The run named by an id, a unique id prefix or a name."""
        from runar.errors import RunNotFound

        if self.index is None:
            raise RunNotFound(
                f"no run matches '{ref}': there are no runs yet; start one with 'runar train.py'"
            )
        with self.index.read() as txn:
            summary = self.index.summary(txn, ref)  # an exact id needs no listing
            if summary is None:
                run_id = resolve(ref, _all_ids(self.index, txn), self.index.names(txn))
                summary = self.index.summary(txn, run_id)
        if summary is None:
            raise RunNotFound(f"no run matches '{ref}'; see 'runar ls'")
        return summary


def _all_ids(index: Index, txn: lmdb.Transaction) -> list[str]:
    return list(index.newest_first(txn))


@contextmanager
def open_views(store: Store, catch_up: bool = True) -> Iterator[Views]:
    """Open the store's views, first folding what is new in the log (unless told not to)."""
    if not store.exists:
        yield Views(store, None)
        return
    import lmdb

    from runar.projector import catch_up as run_catch_up
    from runar.views.index import Index, remove_index

    index = Index(store)
    try:
        if catch_up:
            try:
                run_catch_up(store, index)
            except lmdb.Error:
                # a damaged index (e.g. pages lost in a power cut, since commits skip fsync)
                # is only derived state: drop it and fold the log again
                index.close()
                remove_index(store)
                index = Index(store)
                run_catch_up(store, index)
        yield Views(store, index)
    finally:
        index.close()
