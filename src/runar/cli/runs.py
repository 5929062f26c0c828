"""`runar ls`, `runar rm`, `runar clean`: the typer commands that list and delete runs.

Deleting touches the store only. A run's code snapshot lives in its folder, and the git
root a run names may be someone else's repository when the store was copied: rm and
clean never run git.
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from runar.cli.access import NO_RUNS_HINT, current_store, existing_views
from runar.cli.listing import DEFAULT_LIMIT, show_runs, validate
from runar.errors import UsageError
from runar.ids import short

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views.summary import RunSummary


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
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            "-w",
            help="Only runs a query selects (docs/query.md), e.g. "
            "'config.lr < 1e-3 and (metrics.acc > 0.9 or tag:baseline)' or 'lr<1e-3 acc>0.9'.",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Order by a field: name, created, duration, config.KEY, metrics.KEY, "
            "best(metrics.KEY); -FIELD descending.",
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Only runs of this project (see 'runar projects')."),
    ] = None,
    all_projects: Annotated[
        bool,
        typer.Option(
            "--all-projects", help="Runs of every project (by default only the current one)."
        ),
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            help="Columns to show, e.g. name,config.lr,metrics.acc (metrics.KEY: last value).",
        ),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            "-g",
            help="One row per value of a column, e.g. config.model: count, mean ± std.",
        ),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the records as CSV.")] = False,
    anomalous: Annotated[
        bool,
        typer.Option(
            "--anomalous", help="Only runs with an anomaly: NaN, spike, divergence, stall, alert."
        ),
    ] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote", help="List a remote's runs (pulled into .runar/cache/remotes/NAME first)."
        ),
    ] = None,
) -> None:
    """List runs, newest first: id, name, status, key metrics, duration, created, tags.

    When the store holds runs of several projects, only the current project's are listed
    (RUNAR_PROJECT, else the git repository's name, else the store folder's name).
    """
    validate(status, limit)
    if remote is not None:
        from runar.cli.remote import use_remote_cache

        use_remote_cache(remote)  # this command then reads the remote's local cache store
    show_runs(
        status=status,
        tag=tag,
        name=name,
        limit=limit or None,
        as_json=as_json,
        where=where,
        sort=sort,
        project=project,
        all_projects=all_projects,
        columns=columns,
        group_by=group_by,
        as_csv=as_csv,
        anomalous=anomalous,
    )


def projects(
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """List the store's projects with their number of runs; * marks the current one."""
    from runar.cli.listing import show_projects

    show_projects(as_json)


def confirm(question: str) -> bool:
    """Ask a yes/no question; without a terminal to ask on, refuse rather than guess."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to delete without confirmation (stdin is not a terminal); pass --yes"
        )
    return typer.confirm(question, default=False, err=True)


def delete_runs(store: Store, summaries: list[RunSummary]) -> None:
    """Remove the runs' folders (log, artifacts, code), then let the views forget them."""
    for summary in summaries:
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
    everywhere: Annotated[
        bool,
        typer.Option(
            "--everywhere",
            help="Leave a tombstone so that 'runar sync' never brings the runs back "
            "(and spreads the deletion to the stores it syncs with).",
        ),
    ] = False,
) -> None:
    """Delete runs: their log, artifacts, code snapshot and views (never anything in git)."""
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
    if everywhere:
        from runar.journal.sync import mark_deleted

        for summary in summaries:
            mark_deleted(store.root, summary.run_id)
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
    for run_id in {s.run_id for s in summaries} | leftovers:
        shutil.rmtree(store.run_dir(run_id), ignore_errors=True)
    shutil.rmtree(store.index_dir, ignore_errors=True)  # derived: rebuilt on the next read
    print(f"deleted {count} run(s)")
