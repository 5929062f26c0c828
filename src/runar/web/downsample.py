"""M4 downsampling: per pixel-column bucket keep the first, last, min and max point.

A line drawn through those four points of every column is pixel-identical to the line
through all points (Jugel et al., "M4", VLDB 2014), so a curve of millions of points
travels as a few thousand. Non-finite points are kept apart: the first of each kind
(nan, inf, -inf) in each bucket, so a chart can still mark where they happened.

The work is a handful of whole-array numpy passes per curve: x is sorted, so every
bucket is one contiguous run of points and its bounds come from a binary search.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

POINTS_PER_BUCKET: Final = 4
NAN, INF, NEG_INF = 0, 1, 2  # the kinds of non-finite point, in bucket-mark order
# From this many points per bucket on, an argmin/argmax per bucket (~0.7 µs of Python each)
# beats whole-array passes (~7-15 ns a point) for the extremes
LOOP_FROM: Final = 100


def m4(frame: pl.DataFrame, points: int, x: str = "x", y: str = "y") -> pl.DataFrame:
    """The rows of ``frame`` (sorted by ``x``) that M4 keeps for about ``points`` points."""
    if frame.height <= points:
        return frame
    kept = m4_rows(frame[x].to_numpy(), frame[y].cast(float).to_numpy(), points)
    return frame[kept]


def m4_rows(
    xs: npt.NDArray[np.generic], ys: npt.NDArray[np.float64], points: int
) -> npt.NDArray[np.intp]:
    """Indices (ascending) of the points M4 keeps; ``xs`` sorted, ``ys`` floats."""
    import numpy as np

    n = len(xs)
    if n <= points:
        return np.arange(n)
    buckets = max(1, points // POINTS_PER_BUCKET)
    position = _positions(xs, buckets)
    finite = np.isfinite(ys)
    if finite.all():
        return _ascending_once(_extremes(ys, position, buckets, None))
    rows = np.flatnonzero(finite)
    parts = [_extremes(ys[rows], position[rows], buckets, rows)] if len(rows) else []
    odd = np.flatnonzero(~finite)
    odd_y = ys[odd]
    kind = np.where(np.isnan(odd_y), NAN, np.where(odd_y > 0, INF, NEG_INF))
    bucket = np.clip(np.floor(position[odd]).astype(np.int64), 0, buckets - 1)
    _, first = np.unique(bucket * 3 + kind, return_index=True)
    parts.append(odd[first])
    return _ascending_once(np.concatenate(parts))


def _positions(xs: npt.NDArray[np.generic], buckets: int) -> npt.NDArray[np.float64]:
    """Each point's place in bucket units: bucket k holds the points with k <= place < k+1.

    Multiplying by the reciprocal of the span, not dividing by it, is the arithmetic of
    Polars' scalar division, which this code replaced: the same points land in the same
    bucket, so responses did not change by a bit.
    """
    import numpy as np

    lo, hi = xs[0], xs[-1]
    span = float(hi - lo)
    if span <= 0:
        return np.zeros(len(xs))
    place = np.subtract(xs, float(lo), dtype=np.float64)  # as floats, in one pass
    place *= 1.0 / span
    place *= buckets
    return place


def _extremes(
    ys: npt.NDArray[np.float64],
    position: npt.NDArray[np.float64],
    buckets: int,
    rows: npt.NDArray[np.intp] | None,
) -> npt.NDArray[np.intp]:
    """First, last, min and max of every bucket of finite points (``rows``: their indices)."""
    import numpy as np

    n = len(ys)
    # positions are sorted: bucket k starts at the first place >= k; the last bucket
    # also holds place == buckets (the curve's last x)
    starts = np.searchsorted(position, np.arange(buckets), side="left")
    starts = starts[np.append(True, starts[1:] != starts[:-1]) & (starts < n)]  # empty: same start
    lengths = np.diff(np.append(starts, n))
    kept = [starts, starts + lengths - 1]
    if n >= LOOP_FROM * len(starts):
        bounds = np.append(starts, n).tolist()
        at: list[int] = []
        for lo, hi in pairwise(bounds):
            part = ys[lo:hi]
            at += (lo + int(part.argmin()), lo + int(part.argmax()))  # the first of equals
        kept.append(np.array(at, dtype=np.intp))
    else:
        for reduce in (np.minimum, np.maximum):
            extreme = np.repeat(reduce.reduceat(ys, starts), lengths)
            hits = np.flatnonzero(ys == extreme)
            kept.append(hits[np.searchsorted(hits, starts)])  # the first such point, as argmin
    found = np.concatenate(kept)
    return found if rows is None else rows[found]


def _ascending_once(rows: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """The indices sorted, each once (np.unique hashes: slower on a few thousand ints)."""
    import numpy as np

    rows = np.sort(rows)
    return rows[np.append(True, rows[1:] != rows[:-1])]
