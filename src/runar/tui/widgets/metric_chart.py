"""A line chart of one metric (one line per run), downsampled so big series draw fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from textual_plotext import PlotextPlot

from runar.tui.series import downsample, finite, last_n, smooth

PALETTE: Final = ("cyan", "orange", "green", "magenta", "yellow", "blue", "red", "white")
MARKER: Final = "braille"  # 2x4 dots per cell: the finest line a terminal can draw


@dataclass
class Line:
    """One series as drawn: label, x and y."""

    label: str
    xs: list[float]
    ys: list[float]


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
            drawn += 1
        if not drawn:
            plt.title(f"{self.chart_title} (no finite points)")
        self.refresh()
