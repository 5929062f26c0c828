"""report/charts.py: long curves thinned without losing their extremes; SVG out."""

from __future__ import annotations

import math

import pytest

from runar.report.charts import MAX_POINTS, Series, downsample, line_chart

pytest.importorskip("matplotlib")


def test_a_short_curve_is_kept_whole() -> None:
    x, y = [0.0, 1.0, 2.0], [3.0, math.nan, 1.0]
    assert downsample(x, y) == (x, y)


def test_a_long_curve_keeps_its_spike_and_order_and_drops_nan() -> None:
    n = 100_000
    x = [float(i) for i in range(n)]
    y = [1.0 / (1 + i / 1000) for i in range(n)]
    y[31_337], y[50_000] = 40.0, math.nan
    xs, ys = downsample(x, y)
    assert len(xs) <= MAX_POINTS and len(xs) == len(ys)
    assert 40.0 in ys and xs[ys.index(40.0)] == 31_337
    assert min(ys) == y[-1] and not any(math.isnan(v) for v in ys)
    assert xs == sorted(xs)


def test_a_chart_is_an_svg_with_a_legend_for_several_lines() -> None:
    svg = line_chart(
        "loss", [Series("train/loss", [0, 1], [2, 1]), Series("val/loss", [0, 1], [3, 2])]
    )
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert b'id="legend_1"' in svg


def test_a_diverged_curve_is_drawn_on_a_log_axis_and_a_healthy_one_is_not() -> None:
    steps = [float(i) for i in range(300)]
    healthy = [2.0 / (1 + i / 10) for i in range(300)]  # 2 → 0.065: a linear axis shows it
    diverged = healthy[:200] + [10.0 ** (i / 3) for i in range(100)]  # up to 1e33, then…
    diverged[-1] = math.inf
    log_ticks = b"10^{"  # matplotlib keeps each tick's text in a comment of the SVG
    assert log_ticks in line_chart("loss", [Series("loss", steps, diverged)])
    assert log_ticks not in line_chart("loss", [Series("loss", steps, healthy)])
