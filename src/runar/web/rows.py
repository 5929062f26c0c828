"""A run as one row of the web API: small, JSON-ready, and its typed cells for Polars."""

from __future__ import annotations

import json
import math
import shlex
from typing import Any

from runar.display import iso
from runar.ids import short
from runar.views.liveness import run_seconds
from runar.views.summary import RunSummary
from runar.web.encoding import json_value

Row = dict[str, Any]


def run_row(summary: RunSummary, status: str, own_project: str | None = None) -> Row:
    """What `GET /api/runs` says about a run; non-finite metrics spelled out.

    ``own_project``: the store's name, the project of runs that recorded none.
    """
    started = summary.started
    finished = summary.finished
    git = summary.git
    command = started.command or started.argv if started is not None else []
    return {
        "id": summary.run_id,
        "short_id": short(summary.run_id),
        "name": summary.display_name or None,
        "status": status,
        "started_at": iso(summary.created_ts) if summary.created_ts else None,
        "started_at_ns": summary.created_ts or None,
        "ended_at": iso(summary.ended_ts),
        "ended_at_ns": summary.ended_ts,
        "duration_s": run_seconds(summary, status),
        "commit_sha": git.commit if git else None,
        "branch": git.branch if git else None,
        "dirty": git.dirty if git else None,
        "command": shlex.join(command) if command else None,
        "tags": summary.tag_list(),
        "config": json_value(summary.config_values()),
        "metrics": json_value(summary.last_metrics()),
        "error": finished.error if finished else None,
        "parent_run": started.parent_run if started else None,
        "project": summary.project or own_project,
        "sweep": summary.sweep,
        "summary": json_value({k: r.value for k, r in summary.summary_values.items()}),
        "extrema": json_value({k: [m.min, m.max] for k, m in summary.metrics.items()}),
    }


def _config_cell(value: Any) -> bool | float | str | None:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return json.dumps(value, default=repr)


def _metric_cell(value: Any) -> float | None:
    if isinstance(value, str):  # spelled-out non-finite value
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(value)
    return float(value) if isinstance(value, (int, float)) else None


def row_cells(row: Row) -> dict[str, Any]:
    """The row flattened for the runs frame: plain columns, config.*, metrics.*."""
    cells: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "started_at": row["started_at_ns"],
        "ended_at": row["ended_at_ns"],
        "duration_s": row["duration_s"],
        "commit_sha": row["commit_sha"],
        "branch": row["branch"],
        "command": row["command"],
        "tags": row["tags"],
        "error": row["error"],
        "parent_run": row["parent_run"],
    }
    for key, value in row["config"].items():
        cells[f"config.{key}"] = _config_cell(value)
    for key, value in row["metrics"].items():
        cells[f"metrics.{key}"] = _metric_cell(value)
    # the query language's names (views/query.py), so a filter reads as in `runar ls --where`
    cells["created"] = row["started_at_ns"]
    cells["duration"] = row["duration_s"]
    cells["git.branch"] = row["branch"]
    cells["git.commit"] = row["commit_sha"]
    cells["project"] = row.get("project")
    cells["sweep"] = row.get("sweep")
    for key, value in row.get("summary", {}).items():
        cells[f"summary.{key}"] = _config_cell(value)
    for key, (low, high) in row.get("extrema", {}).items():
        cells[f"min(metrics.{key})"] = _metric_cell(low)
        cells[f"max(metrics.{key})"] = _metric_cell(high)
    return cells
