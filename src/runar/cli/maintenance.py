"""`runar reindex`: drop the derived views and fold the whole log again."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store


def reindex(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Rebuild the views (.runar/index) from the runs' logs; safe at any time."""
    store = current_store()
    if not store.exists:
        print(NO_RUNS_HINT, file=sys.stderr)
        if as_json:
            render.print_json({"runs": 0, "events": 0, "corrupt": 0, "seconds": 0.0})
        return
    from runar.projector import rebuild

    report = rebuild(store)
    record = {
        "runs": len(report.runs_changed),
        "events": report.events,
        "corrupt": report.corrupt,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        render.print_json(record)
        return
    damaged = f", {report.corrupt} damaged line(s) skipped" if report.corrupt else ""
    print(
        f"rebuilt the views: {record['runs']} run(s), {report.events} event(s) "
        f"in {render.duration(report.seconds)}{damaged}"
    )
