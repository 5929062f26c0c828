"""A line chart of one metric (one line per run), downsampled so big series draw fast."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any, Final

from textual_plotext import PlotextPlot

from runar.tui.series import downsample, finite, last_n, smooth

PALETTE: Final = ("cyan", "orange", "green", "magenta", "yellow", "blue", "red", "white")
MARKER: Final = "braille"  # 2x4 dots per cell: the finest line a terminal can draw
ANOMALY_MARKER: Final = "✗"  # where an anomaly (NaN, spike, divergence…) begins


@dataclass
class Line:
    """One series as drawn: label, x and y."""

    label: str
    xs: list[float]
    ys: list[float]
    marks: list[tuple[float, float]] = field(default_factory=list)  # anomalies, drawn as ✗


@dataclass(frozen=True)
class View:
    """How every chart on a screen is drawn: x axis, zoom and smoothing."""

    by_time: bool = False
    zoom: int | None = None
    smoothing: float = 0.0

    @property
    def describe(self) -> str:
        x = "time (s)" if self.by_time else "step"
        zoom = "all points" if self.zoom is None else f"last {self.zoom:,}"
        smooth_text = "off" if not self.smoothing else f"{self.smoothing:g}"
        return f"x: {x} · zoom: {zoom} · smoothing: {smooth_text}"


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


class MetricChart(PlotextPlot):
    """Draws a set of lines with the screen's View; redraws only on new data."""

    def __init__(self, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chart_title = title
        self.lines: list[Line] = []
        self.view = View()
        self.legend = False

    def draw(self, lines: list[Line], view: View, legend: bool = False) -> None:
        """Replace the chart's lines and redraw."""
        self.lines, self.view, self.legend = lines, view, legend
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.chart_title)
        plt.xlabel("seconds" if view.by_time else "step")
        drawn = 0
        for i, line in enumerate(lines):
            xs, ys = last_n(line.xs, line.ys, view.zoom)
            ys = smooth(ys, view.smoothing)
            xs, ys = finite(xs, ys)
            xs, ys = downsample(xs, ys)
            if not xs:
                continue
            label = line.label if legend else None
            plt.plot(xs, ys, marker=MARKER, color=colour(i), label=label)
            marks = [(x, y) for x, y in line.marks if xs[0] <= x <= xs[-1]]
            if marks:
                plt.scatter([x for x, _ in marks], [y for _, y in marks], marker=ANOMALY_MARKER)
            drawn += 1
        if not drawn:
            plt.title(f"{self.chart_title} (no finite points)")
        self.refresh()


def anomaly_marks(
    steps: list[float], xs: list[float], ys: list[float], at_steps: list[int]
) -> list[tuple[float, float]]:
    """Where to mark anomalies that begin at these steps: on the curve, or at the last
    finite value before a NaN (a NaN has no height)."""
    marks: list[tuple[float, float]] = []
    for step in at_steps:
        i = bisect_left(steps, step)
        if i >= len(steps):
            continue
        j = i
        while j >= 0 and not math.isfinite(ys[j]):
            j -= 1
        if j >= 0:
            marks.append((xs[i], ys[j]))
    return marks
