"""`runar ls` and a bare `runar`: which runs, in what order, and whether they go to the table,
to --json, or to --columns/--group-by/--csv shaping; no typer, so it can start fast.

The table itself is runs_table.py, the default project projects.py; the names callers
import from here (differing_config, project_scope, show_projects…) stay importable.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Final

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store
from runar.cli.projects import ProjectScope, current_project, project_scope, show_projects
from runar.cli.runs_table import (
    MAX_CONFIG_COLUMNS,
    anomaly_records,
    config_cell,
    differing_config,
    ls_record,
    print_runs_table,
)
from runar.errors import UsageError
from runar.projects import store_project

if TYPE_CHECKING:
    import polars as pl

    from runar.store import Store
    from runar.views import Views
    from runar.views.summary import RunSummary

__all__ = [
    "DEFAULT_LIMIT", "MAX_CONFIG_COLUMNS", "STATUSES", "ProjectScope", "config_cell",
    "current_project", "differing_config", "ls_record", "parse_fast", "print_runs_table",
    "project_scope", "run_fast", "show_projects", "show_runs", "validate",
]  # fmt: skip

DEFAULT_LIMIT: Final = 50
STATUSES: Final = ("running", "completed", "failed", "killed", "crashed")


def show_runs(
    status: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    as_json: bool = False,
    where: str | None = None,
    sort: str | None = None,
    project: str | None = None,
    all_projects: bool = False,
    columns: str | None = None,
    group_by: str | None = None,
    as_csv: bool = False,
    anomalous: bool = False,
) -> None:
    """Print the runs table (or its JSON records); also what a bare `runar` shows.

    ``anomalous``: only runs with a warning or error anomaly (views/anomaly_watch.py).
    """
    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    shaped = columns is not None or group_by is not None or as_csv
    store = current_store()
    now_ns = time.time_ns()
    records: list[dict[str, Any]] = []
    created_ns: list[int] = []
    total = 0
    scope = ProjectScope()
    frame: pl.DataFrame | None = None
    found: list[RunSummary] = []
    hidden = False  # more runs match than the limit lets through
    if store.exists:
        from runar.views import open_views

        order: list[str] | None = None
        if shaped:
            from runar.cli import columns as shape

            frame = shape.runs_frame(store, where, sort, columns, group_by)
            order = frame["run_id"].to_list()
            if not anomalous:  # the frame holds all it shows: no summary is read twice
                _show_frame(store, frame, status, tag, name, project, all_projects, where, limit,
                            columns, group_by, "json" if as_json else "csv" if as_csv else "table",
                            now_ns)  # fmt: skip
                return
        with open_views(store, catch_up=order is None) as views:
            if order is None and (where or sort):
                order = _query_order(store, views, where, sort)
            scope = project_scope(store, views, project, all_projects, where)
            chosen = {"status": status, "tag": tag, "name": name, "project": scope.project}
            if order is None and not anomalous:  # one run past the limit: is any hidden?
                found = views.runs(limit=None if limit is None else limit + 1, **chosen)
            elif order is None:
                found = [s for s in views.runs(**chosen) if anomaly_records(s, now_ns)]
            else:
                whole = anomalous or (shaped and group_by is not None)
                kept = _summaries_in(views, order, chosen, None if whole else limit)
                found = [kept[i] for i in order if i in kept]
                if anomalous:
                    found = [s for s in found if anomaly_records(s, now_ns)]
                if not whole and all(v is None for v in chosen.values()):
                    # every run in the order matches, but only the first `limit` were read
                    hidden = limit is not None and len(order) > limit
            if not shaped or group_by is None:
                hidden = hidden or (limit is not None and len(found) > limit)
                found = found[:limit]
            own = store_project(store.root)
            records = [ls_record(s, views.status(s), now_ns, own) for s in found]
            if as_json:  # only runs in a rerun family carry a reproducibility field
                from runar.views.reproducibility import listing_records

                scores = listing_records(views, found)
                for record in records:
                    if record["id"] in scores:
                        record["reproducibility"] = scores[record["id"]]
            created_ns = [s.created_ts for s in found]
            total = views.count()
    if scope.hint:
        print(scope.hint, file=sys.stderr)
    if shaped:  # runs chosen by summary (--anomalous): their rows of the frame, shaped
        from runar.cli import columns as shape

        output = "json" if as_json else "csv" if as_csv else "table"
        rows = shape.rows_of(frame, [s.run_id for s in found])
        shape.show(rows, columns, group_by, limit, output, now_ns)
        return
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
    if hidden:
        first = "first" if sort else "newest"
        filtered = where or anomalous or any(v is not None for v in (status, tag, name, project))
        # with filters the number that match is unknown: counting them would read every run
        of = "runs that match" if filtered or scope.project else f"of {total} runs"
        print(f"showing the {first} {limit} {of}; --limit 0 shows all", file=sys.stderr)


def _show_frame(
    store: Store,
    frame: pl.DataFrame,
    status: str | None,
    tag: str | None,
    name: str | None,
    project: str | None,
    all_projects: bool,
    where: str | None,
    limit: int | None,
    columns: str | None,
    group_by: str | None,
    output: str,
    now_ns: int,
) -> None:
    """--columns, --group-by, --csv: frames.runs() filtered as views.runs() would, then shaped."""
    from runar.cli import columns as shape
    from runar.views import open_views

    with open_views(store, catch_up=False) as views:
        scope = project_scope(store, views, project, all_projects, where)
    if scope.hint:
        print(scope.hint, file=sys.stderr)
    kept = shape.keep_runs(frame, status=status, tag=tag, name=name, project=scope.project)
    shape.show(kept, columns, group_by, limit, output, now_ns)


def _query_order(store: Store, views: Views, where: str | None, sort: str | None) -> list[str]:
    """Run ids matching ``where`` in ``sort`` order: frames.runs()'s choice, from columns kept
    on disk between commands (views/query_cache.py) rather than 10,000 decoded summaries,
    answered without Polars (views/query_eval.py)."""
    from runar.views.query_cache import select_cached

    return select_cached(store, views, where, sort, default_project=store_project(store.root))


def _summaries_in(
    views: Views, order: list[str], chosen: dict[str, str | None], limit: int | None
) -> dict[str, RunSummary]:
    """The summaries a query's order needs: only the first ``limit`` when nothing else filters."""
    if limit is None or any(v is not None for v in chosen.values()) or views.index is None:
        return {s.run_id: s for s in views.runs(**chosen)}
    index = views.index
    with index.read() as txn:
        found = [index.summary(txn, run_id) for run_id in order[:limit]]
    return {s.run_id: s for s in found if s is not None}


def validate(status: str | None, limit: int) -> None:
    """Refuse filter values `runar ls` cannot honour."""
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status '{status}'; use one of: {', '.join(STATUSES)}")
    if limit < 0:
        raise UsageError(f"--limit must be 0 (all) or more, not {limit}")


FAST_OPTIONS: Final = {
    "--status": "status",
    "-s": "status",
    "--tag": "tag",
    "-t": "tag",
    "--name": "name",
    "-n": "name",
    "--limit": "limit",
    "-l": "limit",
    "--where": "where",
    "-w": "where",
    "--sort": "sort",
    "--project": "project",
    "-p": "project",
    "--columns": "columns",
    "-c": "columns",
    "--group-by": "group_by",
    "-g": "group_by",
}
FAST_FLAGS: Final = {
    "--json": "as_json",
    "--csv": "as_csv",
    "--all-projects": "all_projects",
    "--anomalous": "anomalous",
}


def parse_fast(args: list[str]) -> dict[str, Any] | None:
    """`ls` options parsed without typer, or None to leave anything unusual to typer.

    typer sets up every non-flag parameter through pydantic, which costs more than the
    whole 300 ms budget of `runar ls`; this covers exactly the options `ls` documents.
    """
    if not args or args[0] != "ls":
        return None
    found: dict[str, Any] = dict.fromkeys(FAST_FLAGS.values(), False)
    i = 1
    while i < len(args):
        token = args[i]
        key, _, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if token in FAST_FLAGS:
            found[FAST_FLAGS[token]] = True
            i += 1
            continue
        if key not in FAST_OPTIONS or key in found:
            return None
        value = inline if "=" in token else (args[i + 1] if i + 1 < len(args) else None)
        if value is None:
            return None
        found[FAST_OPTIONS[key]] = value
        i += 1 if "=" in token else 2
    if "limit" in found:
        digits = found["limit"].removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):  # isdigit alone passes ² and int() not
            return None  # typer words the error
        found["limit"] = int(found["limit"])
    return found


def run_fast(options: dict[str, Any]) -> None:
    """`runar ls` with options from parse_fast()."""
    limit = options.get("limit", DEFAULT_LIMIT)
    validate(options.get("status"), limit)
    show_runs(
        status=options.get("status"),
        tag=options.get("tag"),
        name=options.get("name"),
        limit=limit or None,
        as_json=options["as_json"],
        where=options.get("where"),
        sort=options.get("sort"),
        project=options.get("project"),
        all_projects=options["all_projects"],
        columns=options.get("columns"),
        group_by=options.get("group_by"),
        as_csv=options["as_csv"],
        anomalous=options["anomalous"],
    )
