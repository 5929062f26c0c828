"""The Overview tab's Reproducibility section: a rerun family's score and reasons."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.markup import escape
from rich.text import Text

from runar.ids import short
from runar.tui.catalog import RunEntry
from runar.views.reproducibility import family
from runar.views.rerun_score import assess

REASONS_SHOWN = 8


def reproducibility(entries: Mapping[str, RunEntry], run_id: str) -> RenderableType:
    """The section for a run with reruns or that is one; empty text for any other run."""
    entry = entries.get(run_id)
    if entry is None:
        return Text("")
    children: dict[str, list[str]] = {}
    for other in entries.values():
        started = other.summary.started
        if started is not None and started.rerun_of:
            children.setdefault(started.rerun_of, []).append(other.run_id)
    run = entry.summary
    if not children.get(run_id) and not (run.started and run.started.rerun_of):
        return Text("")
    members = family(
        run,
        lambda i: entries[i].summary if i in entries else None,
        lambda i: children.get(i, []),
    )
    if len(members) < 2:
        return Text("")
    report = assess(members)
    score = "—" if report.score is None else f"{report.score}/100"
    reruns = len(report.runs) - 1
    lines = [
        "[b]Reproducibility[/b]",
        f"  score  [b]{score}[/b] over {reruns} rerun{'s' if reruns != 1 else ''} of "
        f"{short(report.root)}",
    ]
    own = next((p for p in report.pairs if p.rerun == run_id), None)
    if own is not None:
        lines.append(f"  this run  {own.score}/100 against {short(own.original)}")
    lines += [f"  · {escape(r.text)}" for r in report.reasons[:REASONS_SHOWN]]
    return Text.from_markup("\n".join(lines))
