"""M4 downsampling: per pixel-column bucket keep the first, last, min and max point.

A line drawn through those four points of every column is pixel-identical to the line
through all points (Jugel et al., "M4", VLDB 2014), so a curve of millions of points
travels as a few thousand. Non-finite points are kept apart: the first of each kind
(nan, inf, -inf) in each bucket, so a chart can still mark where they happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

POINTS_PER_BUCKET: Final = 4


def m4(frame: pl.DataFrame, points: int, x: str = "x", y: str = "y") -> pl.DataFrame:
    """The rows of ``frame`` (sorted by ``x``) that M4 keeps for about ``points`` points."""
    import polars as pl

    if frame.height <= points:
        return frame
    buckets = max(1, points // POINTS_PER_BUCKET)
    indexed = frame.with_row_index("_row")
    lo = indexed[x].min()
    hi = indexed[x].max()
    span = float(hi - lo) if hi is not None and lo is not None else 0.0  # type: ignore[operator]
    if span > 0:
        bucket = ((pl.col(x).cast(pl.Float64) - float(lo)) / span * buckets).floor()  # type: ignore[arg-type]
        bucket = bucket.cast(pl.Int64).clip(0, buckets - 1)
    else:
        bucket = pl.lit(0, dtype=pl.Int64)
    indexed = indexed.with_columns(bucket.alias("_bucket"))
    finite = indexed.filter(pl.col(y).is_finite())
    kept = finite.group_by("_bucket").agg(
        pl.col("_row").first().alias("first"),
        pl.col("_row").last().alias("last"),
        pl.col("_row").get(pl.col(y).arg_min()).alias("min"),
        pl.col("_row").get(pl.col(y).arg_max()).alias("max"),
    )
    rows = pl.concat([kept[c] for c in ("first", "last", "min", "max")], how="vertical").to_frame(
        "_row"
    )
    odd = indexed.filter(pl.col(y).is_finite().not_())
    if odd.height:
        kind = pl.when(pl.col(y).is_nan()).then(0).when(pl.col(y) > 0).then(1).otherwise(2)
        marks = odd.group_by("_bucket", kind.alias("_kind")).agg(pl.col("_row").first())
        rows = pl.concat([rows, marks.select("_row")], how="vertical")
    wanted = rows.unique().sort("_row")["_row"]
    return indexed.select(pl.all().gather(wanted)).drop("_row", "_bucket")
