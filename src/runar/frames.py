"""Polars views of the store: one row per run, and every metric point in long format.

Metric points come segment by segment from views/metric_cache.py, which caches sealed
segments as Arrow IPC under ``index/metrics/``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runar.journal.segment import list_segments
from runar.projects import store_project
from runar.store import Store
from runar.views import open_views
from runar.views.liveness import effective_status
from runar.views.metric_cache import drop_shadowed, schema, segment_points

if TYPE_CHECKING:
    import polars as pl

    from runar.views import Views
    from runar.views.summary import RunSummary


def metrics(
    runs: Sequence[str] | None = None,
    keys: Sequence[str] | None = None,
    store: Store | None = None,
    catch_up: bool = True,
    where: str | None = None,
) -> pl.DataFrame:
    """Every metric point in long format: run_id, step, key, value, ts, writer, seq.

    Nothing is dropped: a step logged twice (a resumed job, an eval pass) appears twice;
    ``wide()`` keeps the latest value per step.

    Args:
        runs: run ids, prefixes or names; all runs when None.
        keys: metric names to keep; all when None.
        store: the store; discovered from the working directory when None.
        catch_up: fold new events first (a caller that just did may skip it).
        where: only runs this query keeps (docs/query.md), e.g. ``metrics.acc > 0.9``.
    """
    import polars as pl

    store = store or Store.discover()
    with open_views(store, catch_up=catch_up) as views:
        if where:
            picked = _select(store, views, where, None, store_project(store.root))
            named = None if runs is None else {views.get(ref).run_id for ref in runs}
            summaries = [s for s, _ in picked if named is None or s.run_id in named]
        else:
            summaries = views.runs() if runs is None else [views.get(ref) for ref in runs]
    wanted = None if keys is None else frozenset(keys)
    frames = []
    for summary in summaries:
        parse_output = summary.started is None or summary.started.parse_output
        for seg in list_segments(store.run_dir(summary.run_id)):
            frames.append(segment_points(store, seg, parse_output, wanted))
    if not frames:
        return pl.DataFrame(schema=schema())
    frame = drop_shadowed(pl.concat(frames, how="vertical", rechunk=False))
    if any(s.duplicates for s in summaries):
        frame = frame.unique(
            ["run_id", "writer", "seq", "key", "step"], keep="first", maintain_order=True
        )
    return frame


def wide(long: pl.DataFrame) -> pl.DataFrame:
    """One column per metric, the latest value per (run_id, step) by (ts, writer, seq)."""
    latest = long.sort(["ts", "writer", "seq"]).group_by(["run_id", "step", "key"]).last()
    return latest.pivot(on="key", index=["run_id", "step"], values="value").sort(["run_id", "step"])


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=repr)
    return value


def _command_line(summary: RunSummary) -> str | None:
    """The recorded command as one shell-quoted line, as it could be typed again."""
    started = summary.started
    if started is None:
        return None
    return shlex.join(started.command or started.argv)


def runs(
    store: Store | None = None, where: str | None = None, sort: str | None = None
) -> pl.DataFrame:
    """One row per run, newest first: identity, status, project, times, command, config.*, metrics.

    Args:
        store: the store; discovered from the working directory when None.
        where: a query (docs/query.md), e.g. ``config.lr < 1e-3 and metrics.acc > 0.9``
            or the short form ``lr<1e-3 acc>0.9 tag:baseline``.
        sort: a field to order by, ``-`` first for descending: ``name``, ``created``,
            ``metrics.acc``, ``config.lr``, ``best(metrics.loss)``; runs without a value
            come last.
    """
    import polars as pl

    store = store or Store.discover()
    rows: list[dict[str, Any]] = []
    own_project = store_project(store.root)  # what runs recorded without a project show
    with open_views(store) as views:
        if where or sort:
            chosen = _select(store, views, where, sort, own_project)
        else:
            chosen = [(s, effective_status(s)) for s in views.runs()]
        for s, status in chosen:
            ended = s.ended_ts
            row: dict[str, Any] = {
                "run_id": s.run_id,
                "name": s.display_name or None,
                "status": status,
                "project": s.project or own_project,
                "created": s.created_ts,
                "ended": ended,
                "duration_s": (ended - s.created_ts) / 1e9 if ended else None,
                "tags": s.tag_list(),
                "exit_code": s.finished.exit_code if s.finished else None,
                "error": s.finished.error if s.finished else None,
                "command": _command_line(s),
                "args": shlex.join(s.arguments().args),
                "sweep": s.sweep,
            }
            row.update({f"config.{k}": _cell(v) for k, v in s.config_values().items()})
            for key, value in s.last_metrics().items():
                row[f"metric.{key}" if key in row else key] = value
            rows.append(row)
    if not rows:
        columns = ("run_id", "name", "status", "project")
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    else:
        frame = pl.DataFrame(rows, infer_schema_length=None, strict=False).with_columns(
            pl.from_epoch("created", time_unit="ns"), pl.from_epoch("ended", time_unit="ns")
        )
    return frame


def _select(
    store: Store, views: Views, where: str | None, sort: str | None, own_project: str | None
) -> list[tuple[RunSummary, str]]:
    """The runs a query keeps, in the order it asks for: chosen from the query columns kept
    in index/query/ (views/query_cache.py), then only their summaries are read."""
    from runar.views.query_cache import select_cached

    ids = select_cached(store, views, where, sort, default_project=own_project)
    index = views.index
    if index is None:
        return []
    with index.read() as txn:
        found = [index.summary(txn, run_id) for run_id in ids]
    return [(s, effective_status(s)) for s in found if s is not None]
