"""Metric series ready to draw: split per key, zoomed, smoothed and downsampled."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

MAX_POINTS: Final = 2_000  # a terminal chart has ~200 columns: more points only cost time
NS: Final = 1_000_000_000


@dataclass
class Series:
    """One metric of one run: x by step (or index) and by seconds since the run began."""

    steps: list[float]
    seconds: list[float]
    values: list[float]

    def xs(self, by_time: bool) -> list[float]:
        return self.seconds if by_time else self.steps


def split(frame: pl.DataFrame, start_ns: int | None = None) -> dict[str, dict[str, Series]]:
    """Long metrics frame → run_id → key → Series, in logging order."""
    import polars as pl

    out: dict[str, dict[str, Series]] = {}
    if frame.is_empty():
        return out
    frame = frame.sort(["run_id", "key", "ts", "writer", "seq"])
    for (run_id, key), part in frame.group_by(["run_id", "key"], maintain_order=True):
        ts = part["ts"].to_list()
        origin = start_ns if start_ns is not None else ts[0]
        steps = part["step"]
        if steps.null_count():
            steps = pl.Series(range(part.height))  # unstepped points: their order is the x
        out.setdefault(str(run_id), {})[str(key)] = Series(
            [float(s) for s in steps.to_list()],
            [(t - origin) / NS for t in ts],
            [float(v) for v in part["value"].to_list()],
        )
    return out


def last_n(xs: list[float], ys: list[float], n: int | None) -> tuple[list[float], list[float]]:
    """The last ``n`` points (all when None)."""
    if n is None or n >= len(xs):
        return xs, ys
    return xs[-n:], ys[-n:]


def smooth(ys: list[float], weight: float) -> list[float]:
    """Exponential moving average (as TensorBoard's slider); NaN points are kept as NaN."""
    if weight <= 0:
        return ys
    out: list[float] = []
    last: float | None = None
    for y in ys:
        if math.isnan(y) or math.isinf(y):
            out.append(y)
            continue
        last = y if last is None else last * weight + (1 - weight) * y
        out.append(last)
    return out


def downsample(
    xs: list[float], ys: list[float], max_points: int = MAX_POINTS
) -> tuple[list[float], list[float]]:
    """Min/max per bucket: keeps spikes visible, which averaging would flatten."""
    n = len(xs)
    if n <= max_points:
        return xs, ys
    buckets = max_points // 2
    size = n / buckets
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        lo, hi = int(b * size), min(n, int((b + 1) * size))
        if lo >= hi:
            continue
        chunk = ys[lo:hi]
        i_min = lo + min(range(len(chunk)), key=chunk.__getitem__)
        i_max = lo + max(range(len(chunk)), key=chunk.__getitem__)
        for i in sorted({i_min, i_max}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y


def finite(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Points plotext can draw: NaN and ±inf dropped."""
    keep = [i for i, y in enumerate(ys) if not (math.isnan(y) or math.isinf(y))]
    if len(keep) == len(ys):
        return xs, ys
    return [xs[i] for i in keep], [ys[i] for i in keep]
