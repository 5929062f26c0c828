"""`runar ls`, `runar rm`, `runar clean`: list runs and delete them."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store, existing_views
from runar.errors import UsageError
from runar.ids import short

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views.summary import RunSummary

DEFAULT_LIMIT: Final = 50
STATUSES: Final = ("running", "completed", "failed", "killed", "crashed")
SNAPSHOT_REF: Final = "refs/runar/{run_id}"
GIT_TIMEOUT_S: Final = 10


def ls_record(summary: RunSummary, status: str, now_ns: int) -> dict[str, Any]:
    """What `runar ls` shows about one run, as plain data."""
    return {
        "id": summary.run_id,
        "short_id": short(summary.run_id),
        "name": summary.display_name,
        "status": status,
        "created": render.iso(summary.created_ts),
        "duration_s": render.run_seconds(summary, status, now_ns),
        "metrics": summary.last_metrics(),
        "tags": summary.tag_list(),
    }


def print_runs_table(records: list[dict[str, Any]], created_ns: list[int], now_ns: int) -> None:
    """The runs table: id, name, status, shared metrics, duration, created, tags."""
    keys = render.key_metrics(r["metrics"] for r in records)
    headers = ["ID", "NAME", "STATUS", *(k.upper() for k in keys), "DURATION", "CREATED", "TAGS"]
    justify = ["left", "left", "left", *("right" for _ in keys), "right", "right", "left"]
    rows = [
        [
            f"[dim]{r['short_id']}[/]",
            render.escape(r["name"]) or "[dim]—[/]",
            render.status_markup(r["status"]),
            *(render.number(r["metrics"].get(k)) for k in keys),
            render.duration(r["duration_s"]),
            render.ago(created, now_ns),
            render.escape(", ".join(r["tags"])),
        ]
        for r, created in zip(records, created_ns, strict=True)
    ]
    render.print_table(headers, rows, justify, flexible=(1, len(headers) - 1))


def list_runs(
    status: Annotated[
        str | None, typer.Option("--status", "-s", help="Only runs with this status.")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only runs with this tag.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Only runs with this name.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-l", help="Show at most this many runs (0 = all).")
    ] = DEFAULT_LIMIT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """List runs, newest first: id, name, status, key metrics, duration, created, tags."""
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status '{status}'; use one of: {', '.join(STATUSES)}")
    if limit < 0:
        raise UsageError(f"--limit must be 0 (all) or more, not {limit}")
    show_runs(status=status, tag=tag, name=name, limit=limit or None, as_json=as_json)


def show_runs(
    status: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    as_json: bool = False,
) -> None:
    """Print the runs table (or its JSON records); also what a bare `runar` shows."""
    store = current_store()
    now_ns = time.time_ns()
    records: list[dict[str, Any]] = []
    created_ns: list[int] = []
    total = 0
    if store.exists:
        from runar.views import open_views

        with open_views(store) as views:
            found = views.runs(limit=limit, status=status, tag=tag, name=name)
            records = [ls_record(s, views.status(s), now_ns) for s in found]
            created_ns = [s.created_ts for s in found]
            total = views.count()
    if as_json:
        render.print_json(records)
        return
    if total == 0:
        print(NO_RUNS_HINT, file=sys.stderr)
        return
    if not records:
        print("no runs match these filters", file=sys.stderr)
        return
    print_runs_table(records, created_ns, now_ns)
    if limit is not None and len(records) == limit and total > limit:
        print(f"showing the newest {limit} of {total} runs; --limit 0 shows all", file=sys.stderr)


def confirm(question: str) -> bool:
    """Ask a yes/no question; without a terminal to ask on, refuse rather than guess."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to delete without confirmation (stdin is not a terminal); pass --yes"
        )
    return typer.confirm(question, default=False, err=True)


def drop_snapshot_ref(summary: RunSummary) -> None:
    """Delete the run's git snapshot ref, if it made one; the user's refs are untouched."""
    git = summary.git
    if git is None or not git.root or not git.snapshot:
        return
    ref = SNAPSHOT_REF.format(run_id=summary.run_id)
    # no git, or the repo is gone: then the ref is unreachable anyway
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["git", "-C", git.root, "update-ref", "-d", ref],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )


def delete_runs(store: Store, summaries: list[RunSummary]) -> None:
    """Remove the runs' folders and snapshot refs, then let the views forget them."""
    for summary in summaries:
        drop_snapshot_ref(summary)
        shutil.rmtree(store.run_dir(summary.run_id), ignore_errors=True)
    from runar.projector import catch_up

    catch_up(store)


def _label(summary: RunSummary) -> str:
    name = summary.display_name
    return f"{short(summary.run_id)} ({name})" if name else short(summary.run_id)


def remove(
    refs: Annotated[list[str], typer.Argument(help="Run ids, id prefixes or names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Delete running runs too.")] = False,
) -> None:
    """Delete runs: their log, artifacts, git snapshot and views."""
    store = current_store()
    with existing_views(store) as views:
        chosen: dict[str, RunSummary] = {}
        for ref in refs:
            summary = views.get(ref)
            chosen[summary.run_id] = summary
        running = [s for s in chosen.values() if views.status(s) == "running"]
    if running and not force:
        raise UsageError(
            f"run {_label(running[0])} is still running; stop it first or pass --force"
        )
    summaries = list(chosen.values())
    labels = ", ".join(_label(s) for s in summaries)
    if not yes and not confirm(f"delete {len(summaries)} run(s): {labels}?"):
        print("nothing deleted", file=sys.stderr)
        raise typer.Exit(1)
    delete_runs(store, summaries)
    for summary in summaries:
        print(f"deleted {_label(summary)}")


def clean(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every run in the store, and its views."""
    store = current_store()
    if not store.exists:
        print(NO_RUNS_HINT, file=sys.stderr)
        return
    with existing_views(store) as views:
        summaries = views.runs(limit=None)
    leftovers = set(store.run_ids()) - {s.run_id for s in summaries}
    count = len(summaries) + len(leftovers)
    if count == 0:
        print(NO_RUNS_HINT, file=sys.stderr)
        return
    if not yes and not confirm(f"delete all {count} run(s) in {store.root}?"):
        print("nothing deleted", file=sys.stderr)
        raise typer.Exit(1)
    for summary in summaries:
        drop_snapshot_ref(summary)
    for run_id in {s.run_id for s in summaries} | leftovers:
        shutil.rmtree(store.run_dir(run_id), ignore_errors=True)
    shutil.rmtree(store.index_dir, ignore_errors=True)  # derived: rebuilt on the next read
    print(f"deleted {count} run(s)")
