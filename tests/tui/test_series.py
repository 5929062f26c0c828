"""Series preparation: downsampling keeps extremes, smoothing keeps shape."""

from __future__ import annotations

import math

from runar.tui.series import downsample, finite, last_n, smooth


def test_downsample_bounds_points_and_keeps_spikes() -> None:
    xs = [float(i) for i in range(100_000)]
    ys = [0.0] * 100_000
    ys[54_321] = 9.0
    dx, dy = downsample(xs, ys, max_points=1_000)
    assert len(dx) <= 1_000
    assert 9.0 in dy and 54_321.0 in dx


def test_short_series_are_left_alone() -> None:
    assert downsample([1.0, 2.0], [3.0, 4.0]) == ([1.0, 2.0], [3.0, 4.0])


def test_smoothing_is_an_exponential_average_that_skips_nan() -> None:
    out = smooth([0.0, 10.0, math.nan, 10.0], 0.5)
    assert out[:2] == [0.0, 5.0] and math.isnan(out[2]) and out[3] == 7.5


def test_last_n_zooms_to_the_tail() -> None:
    assert last_n([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], 2) == ([2.0, 3.0], [5.0, 6.0])


def test_finite_drops_what_cannot_be_drawn() -> None:
    assert finite([1.0, 2.0, 3.0], [1.0, math.inf, math.nan]) == ([1.0], [1.0])
