"""Metric curves for charts: x by step, time or relative time, M4-downsampled, NaN kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from runar.errors import InvalidQuery
from runar.web.downsample import m4_rows

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

    Array = npt.NDArray[np.generic]
    Floats = npt.NDArray[np.float64]

XAxis = Literal["step", "time", "relative"]
X_AXES: Final = ("step", "time", "relative")
DEFAULT_POINTS: Final = 2000
MIN_POINTS: Final = 4
MAX_POINTS: Final = 100_000
NS: Final = 1_000_000_000


def x_axis(text: str) -> XAxis:
    if text not in X_AXES:
        raise InvalidQuery(f"x='{text}' is not an axis; use step, time or relative")
    return text  # type: ignore[return-value]


def last_param(text: str | None) -> int | None:
    """``limit=``: keep only a curve's latest N points (before downsampling)."""
    if text is None or text == "":
        return None
    if not text.isdigit() or int(text) == 0:
        raise InvalidQuery(f"limit='{text}' is not a positive whole number")
    return int(text)


def points_param(text: str | None) -> int:
    if not text:
        return DEFAULT_POINTS
    if not text.isdigit():
        raise InvalidQuery(f"points='{text}' is not a whole number")
    return max(MIN_POINTS, min(int(text), MAX_POINTS))


def curve_xy(points: pl.DataFrame, x: XAxis) -> tuple[Array, Floats]:
    """One curve's points as arrays x, y in x order (ties in write order).

    A point logged without a step gets its position among the curve's points as step;
    ``time`` is Unix seconds, ``relative`` seconds since the curve's first point.
    """
    import numpy as np
    import polars as pl

    if not points["ts"].is_sorted():
        points = points.sort(["ts", "writer", "seq"])  # several writers (DDP ranks)
    if x == "step":
        step = points["step"]
        if step.null_count():
            step = points.select(pl.coalesce("step", pl.int_range(pl.len(), dtype=pl.Int64)))
            step = step.to_series()
        xs = step.to_numpy()
    else:
        # Polars' arithmetic, not numpy's: a scalar division is a product with the
        # reciprocal there, and the API answered with those exact seconds
        ts = pl.col("ts") if x == "time" else pl.col("ts") - pl.col("ts").min()
        xs = points.select(ts / NS).to_series().to_numpy()
    ys = points["value"].cast(float).to_numpy()
    if len(xs) > 1 and not (xs[1:] >= xs[:-1]).all():
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    return xs, ys


def series_record(xs: Array, ys: Floats, limit: int) -> dict[str, Any]:
    """One curve: x, y (null where not finite), the non-finite points, the original count."""
    import numpy as np

    from runar.web.encoding import nonfinite_name

    kept = m4_rows(xs, ys, limit)
    kept_x: list[Any] = xs[kept].tolist()
    kept_y: list[float | None] = ys[kept].tolist()
    nonfinite = []
    for i in np.flatnonzero(~np.isfinite(ys[kept])).tolist():
        nonfinite.append([kept_x[i], nonfinite_name(kept_y[i])])  # type: ignore[arg-type]
        kept_y[i] = None
    return {"x": kept_x, "y": kept_y, "nonfinite": nonfinite, "count": len(xs)}


def curves(
    long: pl.DataFrame, x: XAxis, points: int, last: int | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """(run_id, key) → its series record; with ``last``, of only its latest points."""
    import polars as pl

    out: dict[tuple[str, str], dict[str, Any]] = {}
    if long.height == 0:
        return out
    long = long.select("run_id", "key", "step", "value", "ts", "writer", "seq")
    varied = long.select((pl.col(c) != pl.col(c).first()).any() for c in ("run_id", "key")).row(0)
    by = [c for c, more in zip(("run_id", "key"), varied, strict=True) if more]  # moving rows costs
    if not by:
        groups = {(long["run_id"][0], long["key"][0]): long}
    else:
        groups = _contiguous_groups(long, by) or {
            (part["run_id"][0], part["key"][0]): part
            for part in long.partition_by(by, maintain_order=True)
        }
    for (run_id, key), group in groups.items():
        xs, ys = curve_xy(group, x)
        if last is not None:
            xs, ys = xs[-last:], ys[-last:]
        out[(str(run_id), str(key))] = series_record(xs, ys, points)
    return out


def _contiguous_groups(long: pl.DataFrame, by: list[str]) -> dict[tuple[Any, Any], pl.DataFrame]:
    """The curves as zero-copy slices when each lies in one block of rows, as runs loaded
    one after another do; empty when some curve is interleaved with another."""
    import polars as pl

    blocks = long.select(pl.struct(by).rle().struct.field("len")).to_series().to_list()
    groups: dict[tuple[Any, Any], pl.DataFrame] = {}
    start = 0
    for length in blocks:
        part = long.slice(start, length)
        name = (part["run_id"][0], part["key"][0])
        if name in groups:
            return {}
        groups[name] = part
        start += length
    return groups
