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
    from runar.views.summary import RunSummary

DEFAULT_LIMIT: Final = 50
STATUSES: Final = ("running", "completed", "failed", "killed", "crashed")


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
    rows: list[list[render.Cell]] = [
        [
            (r["short_id"], "dim"),
            r["name"] or ("—", "dim"),
            render.status_cell(r["status"]),
            *(render.number(r["metrics"].get(k)) for k in keys),
            render.duration(r["duration_s"]),
            render.ago(created, now_ns),
            ", ".join(r["tags"]),
        ]
        for r, created in zip(records, created_ns, strict=True)
    ]
    right = range(3, 3 + len(keys) + 2)  # metrics, duration, created: numbers align right
    last = len(headers) - 1
    render.print_table(headers, rows, right=right, flexible=(last, 1, *range(3, 3 + len(keys))))


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
    )
