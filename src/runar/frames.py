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
from runar.store import Store
from runar.views import open_views
from runar.views.liveness import effective_status
from runar.views.metric_cache import drop_shadowed, schema, segment_points

if TYPE_CHECKING:
    import polars as pl

    from runar.views.summary import RunSummary


def metrics(
    runs: Sequence[str] | None = None,
    keys: Sequence[str] | None = None,
    store: Store | None = None,
    catch_up: bool = True,
) -> pl.DataFrame:
    """Every metric point in long format: run_id, step, key, value, ts, writer, seq.

    Nothing is dropped: a step logged twice (a resumed job, an eval pass) appears twice;
    ``wide()`` keeps the latest value per step.

    Args:
        runs: run ids, prefixes or names; all runs when None.
        keys: metric names to keep; all when None.
        store: the store; discovered from the working directory when None.
        catch_up: fold new events first (a caller that just did may skip it).
    """
    import polars as pl

    store = store or Store.discover()
    with open_views(store, catch_up=catch_up) as views:
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


def runs(store: Store | None = None) -> pl.DataFrame:
    """One row per run, newest first: identity, status, times, command, args, config.*, metrics."""
    import polars as pl

    store = store or Store.discover()
    rows: list[dict[str, Any]] = []
    with open_views(store) as views:
        for s in views.runs():
            ended = s.ended_ts
            row: dict[str, Any] = {
                "run_id": s.run_id,
                "name": s.display_name or None,
                "status": effective_status(s),
                "created": s.created_ts,
                "ended": ended,
                "duration_s": (ended - s.created_ts) / 1e9 if ended else None,
                "tags": s.tag_list(),
                "exit_code": s.finished.exit_code if s.finished else None,
                "error": s.finished.error if s.finished else None,
                "command": _command_line(s),
                "args": shlex.join(s.arguments().args),
            }
            row.update({f"config.{k}": _cell(v) for k, v in s.config_values().items()})
            for key, value in s.last_metrics().items():
                row[f"metric.{key}" if key in row else key] = value
            rows.append(row)
    if not rows:
        return pl.DataFrame(schema={"run_id": pl.String, "name": pl.String, "status": pl.String})
    frame = pl.DataFrame(rows, infer_schema_length=None, strict=False)
    return frame.with_columns(
        pl.from_epoch("created", time_unit="ns"), pl.from_epoch("ended", time_unit="ns")
    )
