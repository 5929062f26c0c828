"""Every metric point of a segment, as a Polars frame; sealed segments cached as Arrow IPC.

A sealed segment never changes, so its points are derived from the log once and kept
under ``index/metrics/<run>/`` (named by segment, size and parser version; deletable like
the rest of the index). The cache holds only what varies per point (step, key, value, ts,
seq): the run id and the writer are the segment's own. A segment holding many points is
cached as one file per key, so one curve of a million-step run is read without the others.
Active segments are read from the log each time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from runar.events import MetricsLogged, OutputCaptured
from runar.journal.reader import read_segment
from runar.journal.segment import SegmentFile, segment_stem
from runar.store import Store
from runar.views.output_metrics import PARSER_VERSION, StreamState, metrics_from_output

if TYPE_CHECKING:
    import polars as pl

METRIC_COLUMNS: Final = ("run_id", "step", "key", "value", "ts", "writer", "seq")
DERIVED: Final = "derived"  # True for a point read from printed output; dropped by frames
CACHE_FORMAT: Final = 3  # 2: no run id/writer, one file per key when big; 3: derived
SPLIT_POINTS: Final = 50_000  # past this many points a segment is cached one file per key
_PER_KEY_SUFFIX: Final = ".keys"
_ROW: Final = "row"


def schema() -> dict[str, Any]:
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


def segment_points(
    store: Store, seg: SegmentFile, parse_output: bool, keys: Collection[str] | None = None
) -> pl.DataFrame:
    """The segment's points (only ``keys`` when given), in the order written.

    Columns: METRIC_COLUMNS, then DERIVED.
    """
    import polars as pl

    if not seg.sealed:
        return _complete(_only(_derive(seg, parse_output), keys), seg)
    path = _cache_path(store, seg, parse_output)
    per_key = path.with_suffix(_PER_KEY_SUFFIX)
    try:
        if per_key.is_dir():
            return _complete(_read_per_key(per_key, keys), seg)
        if path.is_file():
            return _complete(_only(pl.read_ipc(path), keys), seg)
    except (pl.exceptions.PolarsError, OSError):
        path.unlink(missing_ok=True)  # a damaged cache is rebuilt from the log
        shutil.rmtree(per_key, ignore_errors=True)
    points = _derive(seg, parse_output)
    _write(points, path, per_key)
    return _complete(_only(points, keys), seg)


def _derive(seg: SegmentFile, parse_output: bool) -> pl.DataFrame:
    """Every metric point the segment's events give: logged ones and those read from output."""
    import polars as pl

    steps: list[int | None] = []
    names: list[str] = []
    values: list[float] = []
    stamps: list[int] = []
    seqs: list[int] = []
    derived: list[bool] = []
    states: dict[str, StreamState] = {}
    stem = segment_stem(seg.writer, seg.number)
    for event in read_segment(seg).events:
        if isinstance(event, MetricsLogged):
            batch: Iterable[MetricsLogged] = (event,)
            read = False
        elif parse_output and isinstance(event, OutputCaptured):
            batch = metrics_from_output(event, states, stem)
            read = True
        else:
            continue
        for m in batch:
            n = len(m.values)
            names.extend(m.values)
            values.extend(m.values.values())
            steps.extend([m.step] * n)
            stamps.extend([m.ts] * n)
            seqs.extend([m.seq] * n)
            derived.extend([read] * n)
    columns = {"step": steps, "key": names, "value": values, "ts": stamps, "seq": seqs}
    return pl.DataFrame({**columns, DERIVED: derived}, schema=_cached_schema())


def _cached_schema() -> dict[str, Any]:
    import polars as pl

    kept = {k: v for k, v in schema().items() if k not in ("run_id", "writer")}
    return {**kept, DERIVED: pl.Boolean}


def _only(points: pl.DataFrame, keys: Collection[str] | None) -> pl.DataFrame:
    import polars as pl

    return points if keys is None else points.filter(pl.col("key").is_in(list(keys)))


def _complete(points: pl.DataFrame, seg: SegmentFile) -> pl.DataFrame:
    """The cached columns plus the segment's run id and writer, in METRIC_COLUMNS order."""
    import polars as pl

    return points.with_columns(
        pl.lit(seg.run_id, dtype=pl.String).alias("run_id"),
        pl.lit(seg.writer, dtype=pl.String).alias("writer"),
    ).select(*METRIC_COLUMNS, DERIVED)


def _cache_path(store: Store, seg: SegmentFile, parse_output: bool) -> Path:
    # a better parser or a new cache layout makes a new name: the old files are ignored
    flavour = f"c{CACHE_FORMAT}.p{PARSER_VERSION}" if parse_output else f"c{CACHE_FORMAT}.n"
    stem = segment_stem(seg.writer, seg.number)
    return store.index_dir / "metrics" / seg.run_id / f"{stem}.{seg.size}.{flavour}.arrow"


def _key_file(folder: Path, key: str) -> Path:
    # a key may hold "/" or be long: named by a digest, the key itself is inside
    return folder / f"{hashlib.blake2b(key.encode(), digest_size=10).hexdigest()}.arrow"


def _read_per_key(folder: Path, keys: Collection[str] | None) -> pl.DataFrame:
    import polars as pl

    files = sorted(folder.glob("*.arrow")) if keys is None else [_key_file(folder, k) for k in keys]
    parts = [pl.read_ipc(f) for f in files if keys is None or f.is_file()]
    if keys is not None and len(parts) == 1:
        return parts[0].drop(_ROW)  # one curve: already in the order written
    if not parts:
        return pl.DataFrame(schema=_cached_schema())
    # each key's file keeps its points' positions in the segment: restore the order written
    return pl.concat(parts, how="vertical").sort(_ROW).drop(_ROW)


def _write(points: pl.DataFrame, path: Path, per_key: Path) -> None:
    """Publish the cache atomically (temp, then rename); a cache we cannot write costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_stale(path)
        if points.height < SPLIT_POINTS:
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            points.write_ipc(tmp)
            tmp.replace(path)
            return
        tmp_dir = per_key.with_suffix(f".tmp{os.getpid()}")
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir()
        for (key,), part in points.with_row_index(_ROW).group_by("key", maintain_order=True):
            part.write_ipc(_key_file(tmp_dir, str(key)))
        try:
            tmp_dir.rename(per_key)
        except OSError:
            shutil.rmtree(tmp_dir, ignore_errors=True)  # another process published it first
    except OSError:
        pass


def _drop_stale(path: Path) -> None:
    """Remove this segment's caches of older parsers, layouts or sizes: they are never read."""
    stem = path.name.split(".", 2)
    prefix = f"{stem[0]}.{stem[1]}."  # writer.number: the segment, whatever its size
    for old in path.parent.glob(prefix + "*"):
        if old.name.startswith((path.name, path.with_suffix(_PER_KEY_SUFFIX).name)):
            continue
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def drop_shadowed(points: pl.DataFrame) -> pl.DataFrame:
    """Without the DERIVED column, and without points read from output for a key the
    same run also logged (the logged curve is the one; see views/summary.py)."""
    import polars as pl

    if not points[DERIVED].any():
        return points.drop(DERIVED)
    pair = pl.concat_str(["run_id", "key"], separator="\0")
    logged = points.filter(~pl.col(DERIVED)).select(pair.unique()).to_series()
    return points.filter(~(pl.col(DERIVED) & pair.is_in(logged.implode()))).drop(DERIVED)
