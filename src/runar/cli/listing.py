"""The runs table behind `runar ls` and a bare `runar`; no typer, so it can start fast."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Final

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store
from runar.errors import UsageError
from runar.ids import short

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views.summary import RunSummary

DEFAULT_LIMIT: Final = 50
MAX_CONFIG_COLUMNS: Final = 3
CONFIG_CELL_CHARS: Final = 16
STATUSES: Final = ("running", "completed", "failed", "killed", "crashed")


def ls_record(summary: RunSummary, status: str, now_ns: int) -> dict[str, Any]:
    """What `runar ls` shows about one run, as plain data."""
    finished = summary.finished
    failed = status == "failed" and finished is not None
    return {
        "id": summary.run_id,
        "short_id": short(summary.run_id),
        "name": summary.display_name,
        "status": status,
        "failure": summary.failure() if failed else None,
        "error": finished.error if failed and finished else None,
        "error_type": finished.error_type if failed and finished else None,
        "created": render.iso(summary.created_ts),
        "duration_s": render.run_seconds(summary, status, now_ns),
        "config": summary.config_values(),
        "metrics": summary.last_metrics(),
        "tags": summary.tag_list(),
    }


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


def print_runs_table(records: list[dict[str, Any]], created_ns: list[int], now_ns: int) -> None:
    """The runs table: id, name, status, differing config, metrics, duration, created, tags."""
    keys = render.key_metrics(r["metrics"] for r in records)
    config_keys = differing_config([r["config"] for r in records]) if len(records) > 1 else []
    headers = [
        "ID",
        "NAME",
        "STATUS",
        *(k.upper() for k in config_keys),
        *(k.upper() for k in keys),
        "DURATION",
        "CREATED",
        "TAGS",
    ]
    rows: list[list[render.Cell]] = [
        [
            (r["short_id"], "dim"),
            r["name"] or ("—", "dim"),
            _status(r),
            *(config_cell(r["config"].get(k)) for k in config_keys),
            *(render.number(r["metrics"].get(k)) for k in keys),
            render.duration(r["duration_s"]),
            render.ago(created, now_ns),
            ", ".join(r["tags"]),
        ]
        for r, created in zip(records, created_ns, strict=True)
    ]
    first_metric = 3 + len(config_keys)
    right = range(first_metric, first_metric + len(keys) + 2)  # numbers align right
    last = len(headers) - 1
    config_columns = range(3, first_metric)
    flexible = (last, 1, 2, *config_columns, *range(first_metric, first_metric + len(keys)))
    render.print_table(headers, rows, right=right, flexible=flexible)


def show_runs(
    status: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    as_json: bool = False,
    where: str | None = None,
    sort: str | None = None,
) -> None:
    """Print the runs table (or its JSON records); also what a bare `runar` shows."""
    store = current_store()
    now_ns = time.time_ns()
    records: list[dict[str, Any]] = []
    created_ns: list[int] = []
    total = 0
    if store.exists:
        from runar.views import open_views

        order = _query_order(store, where, sort) if where or sort else None
        with open_views(store, catch_up=order is None) as views:
            if order is None:
                found = views.runs(limit=limit, status=status, tag=tag, name=name)
            else:
                kept = {s.run_id: s for s in views.runs(status=status, tag=tag, name=name)}
                found = [kept[i] for i in order if i in kept][:limit]
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


def _query_order(store: Store, where: str | None, sort: str | None) -> list[str]:
    """Run ids matching ``where`` in ``sort`` order, through the same path as frames.runs()."""
    import runar.frames as frames

    return frames.runs(store=store, where=where, sort=sort)["run_id"].to_list()


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
}


def parse_fast(args: list[str]) -> dict[str, Any] | None:
    """`ls` options parsed without typer, or None to leave anything unusual to typer.

    typer sets up every non-flag parameter through pydantic, which costs more than the
    whole 300 ms budget of `runar ls`; this covers exactly the options `ls` documents.
    """
    if not args or args[0] != "ls":
        return None
    found: dict[str, Any] = {"as_json": False}
    i = 1
    while i < len(args):
        token = args[i]
        key, _, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if token == "--json":
            found["as_json"] = True
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
    )
