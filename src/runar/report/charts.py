"""Metric curves as small SVG charts, drawn by matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import io
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
) -> tuple[list[float], list[float]]:
    """At most ``limit`` points: each bucket's lowest and highest, in order, so spikes stay."""
    if len(x) <= limit:
        return list(x), list(y)
    buckets = limit // 2
    size = len(x) / buckets
    xs: list[float] = []
    ys: list[float] = []
    for b in range(buckets):
        lo, hi = int(b * size), max(int((b + 1) * size), int(b * size) + 1)
        finite = [i for i in range(lo, min(hi, len(x))) if math.isfinite(y[i])]
        if not finite:
            continue
        low = min(finite, key=lambda i: y[i])
        high = max(finite, key=lambda i: y[i])
        for i in sorted({low, high}):
            xs.append(x[i])
            ys.append(y[i])
    return xs, ys


def line_chart(
    title: str, series: Sequence[Series], x_label: str = "step", marks: Sequence[Mark] = ()
) -> bytes:
    """An SVG chart of one or more lines; non-finite points marked in red on the x axis."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # a Figure, not pyplot: no global state, no display

    fig = Figure(figsize=CHART_SIZE_IN)
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        xs, ys = downsample(s.x, s.y)
        colour = PALETTE[i % len(PALETTE)]
        if len(xs) == 1:
            ax.plot(xs, ys, "o", color=colour, label=s.label, markersize=4)
        else:
            ax.plot(xs, ys, color=colour, label=s.label, linewidth=1.2)
        bad = [x for x, y in zip(s.x, s.y, strict=True) if not math.isfinite(y)]
        if bad:
            on_axis = ax.get_xaxis_transform()  # y in axes units: the marks sit on the x axis
            ax.plot(bad, [0] * len(bad), "x", color=NON_FINITE_COLOUR, transform=on_axis)
    for mark in marks:
        colour = MARK_COLOURS.get(mark.level, MARK_COLOURS["warn"])
        ax.axvline(mark.first, color=colour, linewidth=0.8, linestyle="--", alpha=0.8)
        if mark.last > mark.first:
            ax.axvspan(mark.first, mark.last, color=colour, alpha=0.12, linewidth=0)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(x_label, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})  # no date: the same run, the same bytes
    return out.getvalue()
