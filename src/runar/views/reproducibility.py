"""A run's rerun family, read from the index, and the reproducibility the front-ends show.

The family is the original and every run whose ``rerun_of`` chain leads to it, found through
the index's ``by_rerun`` lookup; its score is computed when read (views/rerun_score.py), so
``runar reindex`` and ``runar sync`` give the same score as soon as the runs are there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from runar.views.rerun_score import (
    FamilyReport,
    PairReport,
    assess,
    compare,
    is_reproduction,
    spread,
)
from runar.views.summary import RunSummary

if TYPE_CHECKING:
    from runar.views import Views

MAX_FAMILY: Final = 1000  # a guard against a cycle or a runaway loop of reruns


def family(
    run: RunSummary,
    get: Callable[[str], RunSummary | None],
    children: Callable[[str], Iterable[str]],
) -> list[RunSummary]:
    """The run's family, original first, then reruns oldest first; [run] when it has none."""
    root = run
    seen = {run.run_id}
    while root.started is not None and root.started.rerun_of and len(seen) < MAX_FAMILY:
        parent = get(root.started.rerun_of)
        if parent is None or parent.run_id in seen:
            break  # the original was deleted (or never synced here): the oldest we have
        seen.add(parent.run_id)
        root = parent
    members = [root]
    todo = [root.run_id]
    found = {root.run_id}
    while todo and len(members) < MAX_FAMILY:
        for child_id in sorted(children(todo.pop())):
            child = get(child_id) if child_id not in found else None
            if child is not None:
                found.add(child_id)
                members.append(child)
                todo.append(child_id)
    return [members[0], *sorted(members[1:], key=lambda m: (m.created_ts, m.run_id))]


def family_of(views: Views, run: RunSummary) -> list[RunSummary]:
    """The run's family, read from the index (one read transaction)."""
    index = views.index
    if index is None:
        return [run]
    with index.read() as txn:
        return family(
            run,
            lambda run_id: index.summary(txn, run_id),
            lambda run_id: index.ids_with(txn, "rerun", run_id),
        )


def report_for(views: Views, run: RunSummary) -> FamilyReport | None:
    """The run's family report, or None when it has no reruns and is none."""
    members = family_of(views, run)
    return assess(members) if len(members) > 1 else None


def pair_for(views: Views, a: RunSummary, b: RunSummary) -> PairReport | None:
    """``b`` against ``a`` when both are in one rerun family (σ from that family)."""
    members = family_of(views, a)
    ids = {m.run_id for m in members}
    if len(members) < 2 or b.run_id not in ids:
        return None
    sigma = spread(m for m in members[1:] if is_reproduction(m) and m.finished is not None)
    return compare(a, b, sigma, related=True)


def summary_record(report: FamilyReport, run_id: str) -> dict[str, Any]:
    """What `ls --json`, `show --json` and the web API carry: score, reasons, pairs."""
    record = report.record()
    own = next((p for p in report.pairs if p.rerun == run_id), None)
    record["this_run"] = own.record() if own is not None else None
    return record


def in_family(views: Views, run: RunSummary) -> bool:
    """True when the run is a rerun or has one: one index seek, no summary decoded."""
    if run.started is not None and run.started.rerun_of:
        return True
    if views.index is None:
        return False
    with views.index.read() as txn:
        return bool(views.index.ids_with(txn, "rerun", run.run_id))


def listing_records(views: Views, runs: list[RunSummary]) -> dict[str, dict[str, Any]]:
    """run id → the `reproducibility` field of `ls --json`, for the runs in a family only."""
    reports: dict[str, FamilyReport] = {}  # any member's id → its family's report
    fields: dict[str, dict[str, Any]] = {}
    for run in runs:
        report = reports.get(run.run_id)
        if report is None:
            if not in_family(views, run):
                continue
            members = family_of(views, run)  # once per family, however many are listed
            if len(members) < 2:
                continue
            report = assess(members)
            reports.update((member, report) for member in report.runs)
        own = next((p for p in report.pairs if p.rerun == run.run_id), None)
        fields[run.run_id] = {
            "root": report.root,
            "reruns": len(report.runs) - 1,
            "score": report.score,
            "reasons": [r.text for r in report.reasons],
            "this_run": None
            if own is None
            else {"score": own.score, "reasons": [r.text for r in own.reasons]},
        }
    return fields


def show_field(views: Views, run: RunSummary) -> dict[str, Any] | None:
    """`runar show`'s and the web API's `reproducibility`: None outside a rerun family."""
    if not in_family(views, run):
        return None
    report = report_for(views, run)
    return summary_record(report, run.run_id) if report is not None else None
