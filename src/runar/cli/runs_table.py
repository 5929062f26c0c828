"""The runs table of `runar ls`: what it shows about each run (its --json records) and how
those records are laid out as columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from runar.cli import render
from runar.ids import short

if TYPE_CHECKING:
    from runar.views.summary import RunSummary

MAX_CONFIG_COLUMNS: Final = 3
CONFIG_CELL_CHARS: Final = 16


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
        "anomalies": anomaly_records(summary, now_ns),
    }


def anomaly_records(summary: RunSummary, now_ns: int) -> list[dict[str, Any]]:
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
