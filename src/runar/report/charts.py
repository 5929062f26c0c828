"""Metric curves as small SVG charts, drawn by matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MAX_POINTS: Final = 2000  # per line; longer curves keep each bucket's min and max
CHART_SIZE_IN: Final = (4.2, 2.5)
PALETTE: Final = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
NON_FINITE_COLOUR: Final = "#c62828"
LOG_SPAN: Final = 1e4  # a curve whose values span more than this ratio is drawn on a log axis
MARK_COLOURS: Final = {"error": "#c62828", "warn": "#ef6c00", "info": "#9e9e9e"}


@dataclass(frozen=True)
class Series:
    """One line: its legend label and points in step order."""

    label: str
    x: Sequence[float]
    y: Sequence[float]


@dataclass(frozen=True)
class Mark:
    """An anomaly on the chart: a line at its first step, shaded to its last, by level."""

    first: float
    last: float
    level: str


def downsample(
    x: Sequence[float], y: Sequence[float], limit: int = MAX_POINTS
) -> tuple[Sequence[float], Sequence[float]]:
    """At most ``limit`` points: each bucket's lowest and highest, in order, so spikes stay."""
    if len(x) <= limit:
        return x, y
    import numpy as np

    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(ya)
    low_y, high_y = np.where(finite, ya, np.inf), np.where(finite, ya, -np.inf)
    edges = np.linspace(0, len(xa), limit // 2 + 1).astype(int)
    keep: list[int] = []
    for lo, hi in itertools.pairwise(edges.tolist()):
        if hi > lo and finite[lo:hi].any():
            pair = {lo + int(np.argmin(low_y[lo:hi])), lo + int(np.argmax(high_y[lo:hi]))}
            keep.extend(sorted(pair))
    return xa[keep].tolist(), ya[keep].tolist()


def _non_finite_x(s: Series) -> list[float]:
    if len(s.x) <= MAX_POINTS:
        return [x for x, y in zip(s.x, s.y, strict=True) if not math.isfinite(y)]
    import numpy as np

    ya = np.asarray(s.y, dtype=float)
    return np.asarray(s.x, dtype=float)[~np.isfinite(ya)].tolist()


def _spans_decades(values: Sequence[float]) -> bool:
    """Positive values whose largest is over LOG_SPAN times the smallest: a log y axis."""
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) > LOG_SPAN * min(finite)


def line_chart(
    title: str, series: Sequence[Series], x_label: str = "step", marks: Sequence[Mark] = ()
) -> bytes:
    """An SVG chart of one or more lines; non-finite points marked in red on the x axis."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # a Figure, not pyplot: no global state, no display

    fig = Figure(figsize=CHART_SIZE_IN, layout="constrained")  # laid out in the one draw
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        xs, ys = downsample(s.x, s.y)
        colour = PALETTE[i % len(PALETTE)]
        if len(xs) == 1:
            ax.plot(xs, ys, "o", color=colour, label=s.label, markersize=4)
        else:
            ax.plot(xs, ys, color=colour, label=s.label, linewidth=1.2)
        bad = _non_finite_x(s)
        if bad:
            on_axis = ax.get_xaxis_transform()  # y in axes units: the marks sit on the x axis
            ax.plot(bad, [0] * len(bad), "x", color=NON_FINITE_COLOUR, transform=on_axis)
    for mark in marks:
        colour = MARK_COLOURS.get(mark.level, MARK_COLOURS["warn"])
        ax.axvline(mark.first, color=colour, linewidth=0.8, linestyle="--", alpha=0.8)
        if mark.last > mark.first:
            ax.axvspan(mark.first, mark.last, color=colour, alpha=0.12, linewidth=0)
    if _spans_decades([y for s in series for y in s.y]):
        ax.set_yscale("log")  # a diverged loss (1e36) would flatten the curve it grew from
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(x_label, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False)
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})  # no date: the same run, the same bytes
    return out.getvalue()
