"""Metric curves for charts: x by step, time or relative time, M4-downsampled, NaN kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, Literal

from runar.errors import InvalidQuery
from runar.web.downsample import m4_rows

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

    from runar.views.anomalies import Anomaly

    Array = npt.NDArray[np.generic]
    Floats = npt.NDArray[np.float64]
    Ints = npt.NDArray[np.int64]

XAxis = Literal["step", "time", "relative"]
X_AXES: Final = ("step", "time", "relative")
DEFAULT_POINTS: Final = 2000
MIN_POINTS: Final = 4
MAX_POINTS: Final = 100_000
NS: Final = 1_000_000_000
MAX_WHOLE: Final = 2**53  # a bigger query number is read as this: JavaScript's exact limit


def whole_number(text: str) -> int | None:
    """``text`` as a whole number ≥ 0 (at most MAX_WHOLE), or None.

    ASCII only: str.isdigit() accepts '²', which int() refuses (a 500), and a 30-digit
    cursor overflowed the slice that pages the table.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    return min(int(text), MAX_WHOLE)


def x_axis(text: str) -> XAxis:
    if text not in X_AXES:
        raise InvalidQuery(f"x='{text}' is not an axis; use step, time or relative")
    return text  # type: ignore[return-value]


def last_param(text: str | None) -> int | None:
    """``limit=``: keep only a curve's latest N points (before downsampling)."""
    if text is None or text == "":
        return None
    number = whole_number(text)
    if not number:
        raise InvalidQuery(f"limit='{text}' is not a positive whole number")
    return number


def points_param(text: str | None) -> int:
    if not text:
        return DEFAULT_POINTS
    number = whole_number(text)
    if number is None:
        raise InvalidQuery(f"points='{text}' is not a whole number")
    return max(MIN_POINTS, min(number, MAX_POINTS))


@dataclass(frozen=True)
class Curve:
    """One curve's points in x order: x on the chart's axis, y, and each point's step and
    time (ns); ``origin`` is the time the relative axis counts from."""

    x: Array
    y: Floats
    step: Ints
    ts: Ints
    axis: XAxis
    origin: int

    def tail(self, n: int) -> Curve:
        return replace(self, x=self.x[-n:], y=self.y[-n:], step=self.step[-n:], ts=self.ts[-n:])

    def x_at(self, step: int | None, ts: int) -> int | float | None:
        """Where a moment of the run lies on this curve's x axis: a step's first point (the
        first after it when it has none, as the TUI marks it), or without a step, its time
        (the last point logged by then, on the step axis). None when outside the curve."""
        import numpy as np

        if not len(self.x):
            return None
        if step is not None:
            if step < self._step_range[0] or step > self._step_range[1]:
                return None
            if self._steps_sorted:  # the usual case: a binary search, not a scan per mark
                at = int(np.searchsorted(self.step, step, side="left"))
            else:  # a resumed run logged steps again: the smallest step from here, first
                later = np.flatnonzero(self.step >= step)
                at = int(later[np.argmin(self.step[later])])
            return self.x[at].item()  # type: ignore[no-any-return]
        if self.axis == "time":
            return ts / NS
        if self.axis == "relative":
            return (ts - self.origin) / NS
        if self._times_sorted:
            last = int(np.searchsorted(self.ts, ts, side="right")) - 1
            if last < 0:
                return None
            at = int(np.searchsorted(self.ts, self.ts[last], side="left"))  # first of a tie
        else:
            before = np.flatnonzero(self.ts <= ts)
            if not len(before):
                return None
            at = int(before[np.argmax(self.ts[before])])
        return self.x[at].item()  # type: ignore[no-any-return]

    @cached_property
    def _step_range(self) -> tuple[int, int]:
        return int(self.step.min()), int(self.step.max())

    @cached_property
    def _steps_sorted(self) -> bool:
        return bool((self.step[1:] >= self.step[:-1]).all())

    @cached_property
    def _times_sorted(self) -> bool:
        return bool((self.ts[1:] >= self.ts[:-1]).all())


def curve_xy(points: pl.DataFrame, x: XAxis) -> Curve:
    """One curve's points in x order (ties in write order).

    A point logged without a step gets its position among the curve's points as step;
    ``time`` is Unix seconds, ``relative`` seconds since the curve's first point.
    """
    import numpy as np
    import polars as pl

    if not points["ts"].is_sorted():
        points = points.sort(["ts", "writer", "seq"])  # several writers (DDP ranks)
    step = points["step"]
    if step.null_count():
        step = points.select(pl.coalesce("step", pl.int_range(pl.len(), dtype=pl.Int64)))
        step = step.to_series()
    steps = step.to_numpy()
    ts = points["ts"].to_numpy()
    if x == "step":
        xs = steps
    else:
        # Polars' arithmetic, not numpy's: a scalar division is a product with the
        # reciprocal there, and the API answered with those exact seconds
        since = pl.col("ts") if x == "time" else pl.col("ts") - pl.col("ts").min()
        xs = points.select(since / NS).to_series().to_numpy()
    ys = points["value"].cast(float).to_numpy()
    if len(xs) > 1 and not (xs[1:] >= xs[:-1]).all():
        order = np.argsort(xs, kind="stable")
        xs, ys, steps, ts = xs[order], ys[order], steps[order], ts[order]
    return Curve(xs, ys, steps, ts, x, int(ts.min()) if len(ts) else 0)


def series_record(curve: Curve, limit: int) -> dict[str, Any]:
    """One curve: x, y (null where not finite), the non-finite points, the original count."""
    import numpy as np

    from runar.web.encoding import nonfinite_name

    xs, ys = curve.x, curve.y
    kept = m4_rows(xs, ys, limit)
    kept_x: list[Any] = xs[kept].tolist()
    kept_y: list[float | None] = ys[kept].tolist()
    nonfinite = []
    for i in np.flatnonzero(~np.isfinite(ys[kept])).tolist():
        nonfinite.append([kept_x[i], nonfinite_name(kept_y[i])])  # type: ignore[arg-type]
        kept_y[i] = None
    return {"x": kept_x, "y": kept_y, "nonfinite": nonfinite, "count": len(xs)}


def curves(
    long: pl.DataFrame,
    x: XAxis,
    points: int,
    last: int | None = None,
    anomalies: Sequence[Anomaly] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """(run_id, key) → its series record; with ``last``, of only its latest points.

    Args:
        anomalies: of the run (one run only): each curve's record gets ``anomalies``, its
            key's ones that lie on the curve, each with ``x``: where to mark it.
    """
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
        curve = curve_xy(group, x)
        if last is not None:
            curve = curve.tail(last)
        record = series_record(curve, points)
        if anomalies is not None:
            record["anomalies"] = _placed(curve, [a for a in anomalies if a.key == key])
        out[(str(run_id), str(key))] = record
    return out


def _placed(curve: Curve, anomalies: list[Anomaly]) -> list[dict[str, Any]]:
    """The anomalies as the API lists them, with their x on the curve; off-curve ones left out."""
    from runar.views.anomaly_watch import to_record

    placed = []
    for a in anomalies:
        at = curve.x_at(a.first_step, a.ts)
        if at is not None:
            placed.append({**to_record(a), "x": at})
    return placed


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
