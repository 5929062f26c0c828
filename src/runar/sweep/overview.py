"""Sweeps as plain records for `runar sweep ls`, `runar sweep show` and the web API.

A point's row joins the sweep's record (its swept values, its status) with its run's
summary (final metrics, duration); the best completed point by the sweep's metric is
marked. Everything here reads views and the sweep's own log; nothing is written.
"""

from __future__ import annotations

from typing import Any

from runar.errors import InvalidQuery
from runar.store import Store
from runar.sweep import record
from runar.sweep.progress import best_of, mode_of, pick_metric, resolve_metric
from runar.views.anomaly_watch import alarming, anomalies_of
from runar.views.liveness import run_seconds


def list_sweeps(store: Store) -> list[dict[str, Any]]:
    """Every sweep, newest first: id, name, status, points by status, script, space."""
    if not store.exists:
        return []
    from runar.views import open_views

    with open_views(store) as views:
        ids = [s.run_id for s in views.runs(sweeps=True)]
        points = _runs_by_sweep(views)
    rows = []
    for sweep_id in ids:
        state = record.fold_record(store, sweep_id)
        record.apply_runs(state, points.get(sweep_id, {}))
        rows.append(
            {
                "id": sweep_id,
                "name": state.name,
                "status": state.status,
                "created_ts": state.created_ts,
                "points": len(state.points),
                "counts": state.counts(),
                "script": state.config.get("script"),
                "space": state.config.get("space", {}),
                "method": state.config.get("method"),
                "metric": state.config.get("metric"),
            }
        )
    return rows


def _runs_by_sweep(views: Any) -> dict[str, dict[int, list[tuple[str, str]]]]:
    found: dict[str, dict[int, list[tuple[str, str]]]] = {}
    for s in reversed(views.runs()):  # oldest first
        started = s.started
        if started is None or not started.sweep_id or started.sweep_point is None:
            continue
        by_point = found.setdefault(started.sweep_id, {})
        by_point.setdefault(started.sweep_point, []).append((s.run_id, views.status(s)))
    return found


def sweep_detail(store: Store, ref: str, sort: str | None = None) -> dict[str, Any]:
    """One sweep: its plan and a row per point (values, status, run, metrics), best marked.

    Args:
        ref: the sweep's name, id or id prefix.
        sort: a swept option, ``status``, ``index`` or a metric; ``-`` first for descending.
    """
    from runar.views import open_views

    sweep_id = record.find_sweep(store, ref)
    state = record.fold_record(store, sweep_id)
    with open_views(store, catch_up=False) as views:
        record.apply_runs(state, _runs_by_sweep(views).get(sweep_id, {}))
        summaries = {}
        for point in state.points.values():
            if point.run_id is not None and store.run_dir(point.run_id).exists():
                try:
                    summaries[point.index] = views.get(point.run_id)
                except Exception:  # RunNotFound: the run is not folded yet
                    continue
    rows: list[dict[str, Any]] = []
    for point in sorted(state.points.values(), key=lambda p: p.index):
        summary = summaries.get(point.index)
        metrics = summary.last_metrics() if summary is not None else {}
        seconds = run_seconds(summary, point.status) if summary is not None else None
        rows.append(
            {
                "index": point.index,
                "status": point.status,
                "run_id": point.run_id,
                "params": point.params,
                "config": summary.config_values() if summary is not None else {},
                "metrics": metrics,
                "duration_s": seconds,
                "best": False,
                "attempts": len(point.runs),
                "anomalies": len(alarming(anomalies_of(summary))) if summary is not None else 0,
            }
        )
    results = {r["index"]: (r["status"], r["metrics"]) for r in rows}
    run_ids = {r["index"]: r["run_id"] or "" for r in rows}
    metric = state.config.get("metric") or pick_metric(
        [r["metrics"] for r in rows if r["status"] == "completed"]
    )
    if metric:  # --metric loss ranks by the Loss the points logged
        metric = resolve_metric(metric, {k for r in rows for k in r["metrics"]})
    mode = mode_of(metric, state.config.get("mode")) if metric else None
    best = best_of(results, metric, mode, run_ids)
    if best is not None:
        rows[[r["index"] for r in rows].index(best.index)]["best"] = True
    if sort:
        rows = _sorted(rows, sort)
    return {
        "id": sweep_id,
        "name": state.name,
        "status": state.status,
        "created_ts": state.created_ts,
        "ended_ts": state.ended_ts,
        "script": state.config.get("script"),
        "args": state.config.get("args", []),
        "space": state.config.get("space", {}),
        "method": state.config.get("method"),
        "metric": metric,
        "mode": mode,
        "counts": state.counts(),
        "best": None
        if best is None
        else {"index": best.index, "run_id": best.run_id, "value": best.value},
        "points": rows,
    }


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key = sort.removeprefix("-").removeprefix("metrics.")
    descending = sort.startswith("-")

    def value(row: dict[str, Any]) -> Any:
        if key in ("index", "status", "attempts", "duration_s"):
            return row[key]
        if key in row["metrics"]:
            return row["metrics"][key]
        for option, text in row["params"].items():
            if key in (option, option.lstrip("-"), option.lstrip("-").replace("-", "_")):
                found = row["config"].get(option.lstrip("-").replace("-", "_"))
                return found if isinstance(found, (int, float)) else text
        return None

    known = any(value(r) is not None for r in rows)
    if not known and rows:
        raise InvalidQuery(
            f"cannot sort by '{key}'; use index, status, duration_s, a swept option or a metric"
        )
    present = [r for r in rows if value(r) is not None and value(r) == value(r)]
    missing = [r for r in rows if r not in present]
    try:
        present.sort(key=value, reverse=descending)
    except TypeError:
        present.sort(key=lambda r: str(value(r)), reverse=descending)
    return present + missing
