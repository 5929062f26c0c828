"""Metric curves for charts: x by step, time or relative time, M4-downsampled, NaN kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from runar.errors import InvalidQuery
from runar.web.downsample import m4

if TYPE_CHECKING:
    import polars as pl

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


def points_param(text: str | None) -> int:
    if not text:
        return DEFAULT_POINTS
    if not text.isdigit():
        raise InvalidQuery(f"points='{text}' is not a whole number")
    return max(MIN_POINTS, min(int(text), MAX_POINTS))


def with_x(long: pl.DataFrame, x: XAxis) -> pl.DataFrame:
    """Columns run_id, key, x, y, sorted by run, key and x (ties in write order).

    A point logged without a step gets its position among the key's points as step;
    ``time`` is Unix seconds, ``relative`` seconds since the run's first point.
    """
    import polars as pl

    ordered = long.sort(["run_id", "key", "ts", "writer", "seq"])
    if x == "step":
        counter = pl.int_range(pl.len()).over(["run_id", "key"])
        xs = pl.coalesce(pl.col("step"), counter)
    elif x == "time":
        xs = pl.col("ts") / NS
    else:
        xs = (pl.col("ts") - pl.col("ts").min().over("run_id")) / NS
    framed = ordered.select("run_id", "key", xs.alias("x"), pl.col("value").alias("y"))
    return framed.sort(["run_id", "key", "x"], maintain_order=True)


def series_record(points: pl.DataFrame, limit: int) -> dict[str, Any]:
    """One curve: x, y (null where not finite), the non-finite points, the original count."""
    import polars as pl

    from runar.web.encoding import nonfinite_name

    count = points.height
    kept = m4(points.select("x", "y"), limit)
    xs = kept["x"].to_list()
    finite = kept["y"].is_finite()
    ys = kept.select(pl.when(finite).then(pl.col("y"))).to_series().to_list()
    odd = kept.filter(finite.not_())
    nonfinite = [[x, nonfinite_name(y)] for x, y in zip(odd["x"], odd["y"], strict=True)]
    return {"x": xs, "y": ys, "nonfinite": nonfinite, "count": count}


def curves(long: pl.DataFrame, x: XAxis, points: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(run_id, key) → its series record."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    if long.height == 0:
        return out
    framed = with_x(long, x)
    for (run_id, key), group in framed.group_by(["run_id", "key"], maintain_order=True):
        out[(str(run_id), str(key))] = series_record(group, points)
    return out
