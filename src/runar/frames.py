"""Polars views of the store: one row per run, and every metric point in long format.

Sealed segments never change, so their metric points are cached as Arrow IPC files
under ``index/metrics/`` (keyed by segment and size) and memory-mapped on later loads;
active segments are read from the log each time.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from runar.events import MetricsLogged, OutputCaptured
from runar.journal.reader import read_segment
from runar.journal.segment import SegmentFile, list_segments, segment_stem
from runar.store import Store
from runar.views import open_views
from runar.views.liveness import effective_status
from runar.views.output_metrics import PARSER_VERSION, StreamState, metrics_from_output

if TYPE_CHECKING:
    import polars as pl

    from runar.views.summary import RunSummary

METRIC_COLUMNS: Final = ("run_id", "step", "key", "value", "ts", "writer", "seq")


def _schema() -> dict[str, Any]:
    import polars as pl

    return {
        "run_id": pl.String,
        "step": pl.Int64,
        "key": pl.String,
        "value": pl.Float64,
        "ts": pl.Int64,
        "writer": pl.String,
        "seq": pl.Int64,
    }


def _segment_points(seg: SegmentFile, parse_output: bool) -> pl.DataFrame:
    """Every metric point of one segment, in the order written."""
    import polars as pl

    steps: list[int | None] = []
    keys: list[str] = []
    values: list[float] = []
    stamps: list[int] = []
    writers: list[str] = []
    seqs: list[int] = []
    states: dict[str, StreamState] = {}
    stem = segment_stem(seg.writer, seg.number)
    for event in read_segment(seg).events:
        if isinstance(event, MetricsLogged):
            batch: Iterable[MetricsLogged] = (event,)
        elif parse_output and isinstance(event, OutputCaptured):
            batch = metrics_from_output(event, states, stem)
        else:
            continue
        for m in batch:
            n = len(m.values)
            keys.extend(m.values)
            values.extend(m.values.values())
            steps.extend([m.step] * n)
            stamps.extend([m.ts] * n)
            writers.extend([m.writer] * n)
            seqs.extend([m.seq] * n)
    frame = pl.DataFrame(
        {"step": steps, "key": keys, "value": values, "ts": stamps, "writer": writers, "seq": seqs},
        schema={k: v for k, v in _schema().items() if k != "run_id"},
    )
    return frame.with_columns(pl.lit(seg.run_id, dtype=pl.String).alias("run_id")).select(
        METRIC_COLUMNS
    )


def _cache_path(store: Store, seg: SegmentFile, parse_output: bool) -> Path:
    flavour = f"p{PARSER_VERSION}" if parse_output else "n"  # a better parser reparses
    stem = segment_stem(seg.writer, seg.number)
    return store.index_dir / "metrics" / seg.run_id / f"{stem}.{seg.size}.{flavour}.arrow"


def _cached_points(store: Store, seg: SegmentFile, parse_output: bool) -> pl.DataFrame:
    import polars as pl

    if not seg.sealed:
        return _segment_points(seg, parse_output)
    path = _cache_path(store, seg, parse_output)
    if path.exists():
        try:
            return pl.read_ipc(path)
        except (pl.exceptions.PolarsError, OSError):
            path.unlink(missing_ok=True)  # a damaged cache is rebuilt from the log
    frame = _segment_points(seg, parse_output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        frame.write_ipc(tmp)
        tmp.replace(path)
    except OSError:
        pass  # a cache we cannot write only costs speed
    return frame


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
    frames = []
    for summary in summaries:
        parse_output = summary.started is None or summary.started.parse_output
        for seg in list_segments(store.run_dir(summary.run_id)):
            frames.append(_cached_points(store, seg, parse_output))
    if not frames:
        return pl.DataFrame(schema=_schema())
    frame = pl.concat(frames, how="vertical", rechunk=False)
    if keys is not None:
        frame = frame.filter(pl.col("key").is_in(list(keys)))
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
