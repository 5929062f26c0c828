"""The runs table behind `runar ls` and a bare `runar`; no typer, so it can start fast."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Final

import msgspec

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store
from runar.errors import UsageError
from runar.ids import short
from runar.projects import store_project

if TYPE_CHECKING:
    import polars as pl

    from runar.store import Store
    from runar.views import Views
    from runar.views.summary import RunSummary

DEFAULT_LIMIT: Final = 50
MAX_CONFIG_COLUMNS: Final = 3
CONFIG_CELL_CHARS: Final = 16
STATUSES: Final = ("running", "completed", "failed", "killed", "crashed")


def ls_record(
    summary: RunSummary, status: str, now_ns: int, own_project: str | None = None
) -> dict[str, Any]:
    """What `runar ls` shows about one run, as plain data.

    ``own_project``: the store's name, shown for runs that recorded no project.
    """
    finished = summary.finished
    failed = status == "failed" and finished is not None
    return {
        "id": summary.run_id,
        "short_id": short(summary.run_id),
        "name": summary.display_name,
        "status": status,
        "project": summary.project or own_project,
        "failure": summary.failure() if failed else None,
        "error": finished.error if failed and finished else None,
        "error_type": finished.error_type if failed and finished else None,
        "created": render.iso(summary.created_ts),
        "duration_s": render.run_seconds(summary, status, now_ns),
        "config": summary.config_values(),
        "metrics": summary.last_metrics(),
        "tags": summary.tag_list(),
        "anomalies": _anomaly_records(summary, now_ns),
    }


def _anomaly_records(summary: RunSummary, now_ns: int) -> list[dict[str, Any]]:
    """The run's warnings and errors (views/anomaly_watch.py); a plateau is left to show."""
    if not summary.anomalies and summary.finished is not None:
        return []  # a finished run without folded anomalies has none: no import needed
    from runar.views.anomaly_watch import alarming, anomalies_of, to_record

    return [to_record(a) for a in alarming(anomalies_of(summary, now_ns))]


def _anomaly_cell(record: dict[str, Any]) -> render.Cell:
    found = record["anomalies"]
    if not found:
        return ""
    style = "red" if any(a["level"] == "error" for a in found) else "yellow"
    return (f"⚠ {len(found)}", style)


def differing_config(configs: list[dict[str, Any]], limit: int = MAX_CONFIG_COLUMNS) -> list[str]:
    """Config keys whose value is not the same in every run, most widely set first."""
    counts: dict[str, int] = {}
    for config in configs:
        for key in config:
            counts[key] = counts.get(key, 0) + 1
    missing = object()
    differing = [
        key
        for key in counts
        if len({repr(c.get(key, missing)) for c in configs}) > 1  # repr: lists, NaN, 1 vs 1.0
    ]
    return sorted(differing, key=lambda k: (-counts[k], k))[:limit]


def config_cell(value: Any) -> render.Cell:
    """A config value in a table cell, clipped."""
    if value is None:
        return ("—", "dim")
    text = render.number(value) if isinstance(value, float) else str(value)
    return text if len(text) <= CONFIG_CELL_CHARS else text[: CONFIG_CELL_CHARS - 1] + "…"


def _status(record: dict[str, Any]) -> render.Cell:
    text, style = render.status_cell(record["status"])
    return (f"{text}: {record['failure']}", style) if record["failure"] else (text, style)


def _headings(keys: list[str]) -> list[str]:
    """Keys as column headings, in capitals unless that would give two the same (Loss, loss)."""
    capitals = [key.upper() for key in keys]
    return [
        upper if capitals.count(upper) == 1 else key
        for key, upper in zip(keys, capitals, strict=True)
    ]


def print_runs_table(records: list[dict[str, Any]], created_ns: list[int], now_ns: int) -> None:
    """The runs table: id, name, status, differing config, metrics, duration, created, tags."""
    keys = render.key_metrics(r["metrics"] for r in records)
    config_keys = differing_config([r["config"] for r in records]) if len(records) > 1 else []
    marked = any(r.get("anomalies") for r in records)  # the ⚠ column only when it says something
    # runs of several projects (--all-projects, a query on project): say whose each one is
    several = len({r.get("project") for r in records}) > 1
    headers = [
        "ID",
        *(["PROJECT"] if several else []),
        "NAME",
        "STATUS",
        *(["⚠"] if marked else []),
        *_headings([*config_keys, *keys]),
        "DURATION",
        "CREATED",
        "TAGS",
    ]
    rows: list[list[render.Cell]] = [
        [
            (r["short_id"], "dim"),
            *([r.get("project") or ("—", "dim")] if several else []),
            r["name"] or ("—", "dim"),
            _status(r),
            *([_anomaly_cell(r)] if marked else []),
            *(config_cell(r["config"].get(k)) for k in config_keys),
            *(render.number(r["metrics"].get(k)) for k in keys),
            render.duration(r["duration_s"]),
            render.ago(created, now_ns),
            ", ".join(r["tags"]),
        ]
        for r, created in zip(records, created_ns, strict=True)
    ]
    name_column = 2 if several else 1
    first_config = name_column + (3 if marked else 2)
    first_metric = first_config + len(config_keys)
    right = range(first_metric, first_metric + len(keys) + 2)  # numbers align right
    last = len(headers) - 1
    config_columns = range(first_config, first_metric)
    flexible = (
        last,
        *range(1, name_column + 2),  # project, name, status
        *config_columns,
        *range(first_metric, first_metric + len(keys)),
    )
    render.print_table(headers, rows, right=right, flexible=flexible)


class ProjectScope(msgspec.Struct, frozen=True):
    """Which project `runar ls` lists (None: every run) and the line that says so."""

    project: str | None = None
    hint: str | None = None


def current_project(store: Store) -> str:
    """The project a run started here would join (RUNAR_PROJECT, git repository, store)."""
    from runar.projects import default_project

    return default_project(store.root)


def _names_project(where: str | None) -> bool:
    """True when the query itself picks projects (``project=nlp``): no default then."""
    if not where or "project" not in where:
        return False
    from runar.errors import InvalidQuery
    from runar.views.query_syntax import And, Compare, In, Not, Or, parse

    try:
        stack = [parse(where)]
    except InvalidQuery:
        return False  # the query path says what is wrong with it
    while stack:
        match stack.pop():
            case Compare(field=fld) | In(field=fld) if fld.kind == "project":
                return True
            case Not(node=inner):
                stack.append(inner)
            case And(nodes=nodes) | Or(nodes=nodes):
                stack.extend(nodes)
    return False


def project_scope(
    store: Store, views: Views, project: str | None, all_projects: bool, where: str | None = None
) -> ProjectScope:
    """All runs when the store holds one project or the query names projects; else one."""
    if all_projects or (project is None and _names_project(where)):
        return ProjectScope()
    if project is not None:
        return ProjectScope(project)
    counts = views.projects()
    if len(counts) <= 1:
        return ProjectScope()
    current = current_project(store)
    total = sum(counts.values())
    return ProjectScope(
        current,
        f"showing project {current} ({counts.get(current, 0)} of {total} runs); "
        "--all-projects for all",
    )


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
            if order is None and not anomalous:
                found = views.runs(limit=limit, **chosen)
            elif order is None:
                found = [s for s in views.runs(**chosen) if _anomaly_records(s, now_ns)][:limit]
            else:
                whole = anomalous or (shaped and group_by is not None)
                kept = _summaries_in(views, order, chosen, None if whole else limit)
                found = [kept[i] for i in order if i in kept]
                if anomalous:
                    found = [s for s in found if _anomaly_records(s, now_ns)]
                if not shaped or group_by is None:
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
    if limit is not None and len(records) == limit and total > limit:
        print(f"showing the newest {limit} of {total} runs; --limit 0 shows all", file=sys.stderr)


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


def show_projects(as_json: bool = False) -> None:
    """`runar projects`: each project with its number of runs, the current one marked."""
    store = current_store()
    counts: dict[str, int] = {}
    if store.exists:
        from runar.views import open_views

        with open_views(store) as views:
            counts = views.projects()
    current = current_project(store)
    records = [
        {"project": name, "runs": count, "current": name == current}
        for name, count in counts.items()
    ]
    if as_json:
        render.print_json(records)
        return
    if not records:
        print(NO_RUNS_HINT, file=sys.stderr)
        return
    rows: list[list[render.Cell]] = [
        [("*", "bold") if r["current"] else "", r["project"], str(r["runs"])] for r in records
    ]
    render.print_table(["", "PROJECT", "RUNS"], rows, right=[2], flexible=[1])
    if current not in counts:
        print(f"current project: {current} (no runs yet)", file=sys.stderr)


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
        if not found["limit"].lstrip("-").isdigit():
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
