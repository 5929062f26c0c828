"""Curves for charts: where an anomaly lies on each x axis (series.Curve.x_at)."""

from __future__ import annotations

import polars as pl
import pytest

from runar.web.series import NS, Curve, XAxis, curve_xy

T0 = 1_790_000_000 * NS


def _points(steps: list[int | None], seconds: list[float]) -> pl.DataFrame:
    n = len(steps)
    return pl.DataFrame(
        {
            "step": pl.Series(steps, dtype=pl.Int64),
            "value": [float(i) for i in range(n)],
            "ts": [T0 + int(s * NS) for s in seconds],
            "writer": ["w"] * n,
            "seq": list(range(n)),
        }
    )


def _curve(axis: XAxis) -> Curve:
    """Steps 0, 10, 10, 20, 30 logged 0, 1, 2, 4, 8 s after the start."""
    return curve_xy(_points([0, 10, 10, 20, 30], [0, 1, 2, 4, 8]), axis)


@pytest.mark.parametrize(("axis", "x"), [("step", 20), ("time", T0 / NS + 4), ("relative", 4.0)])
def test_a_step_is_placed_at_its_points_x_on_every_axis(axis: XAxis, x: float) -> None:
    assert _curve(axis).x_at(20, T0 + 99 * NS) == pytest.approx(x)  # its point, not when found


def test_a_step_logged_twice_is_placed_at_its_first_point() -> None:
    assert _curve("relative").x_at(10, 0) == 1.0


def test_a_step_the_curve_skipped_is_placed_at_the_next_point() -> None:
    assert _curve("time").x_at(15, 0) == pytest.approx(T0 / NS + 4)


def test_steps_outside_the_curve_have_no_place() -> None:
    assert _curve("step").x_at(31, 0) is None
    assert _curve("step").tail(2).x_at(10, 0) is None  # before the latest points


@pytest.mark.parametrize(("axis", "x"), [("step", 10), ("time", T0 / NS + 3), ("relative", 3.0)])
def test_without_a_step_its_time_is_placed(axis: XAxis, x: float) -> None:
    assert _curve(axis).x_at(None, T0 + 3 * NS) == pytest.approx(x)  # step: latest point by then


def test_relative_time_counts_from_the_whole_curve_even_for_its_tail() -> None:
    tail = _curve("relative").tail(2)
    assert tail.x.tolist() == [4.0, 8.0]
    assert tail.x_at(None, T0 + 5 * NS) == 5.0


def test_a_resumed_run_places_a_step_at_its_first_point_in_time() -> None:
    resumed = curve_xy(_points([0, 1, 2, 1, 2, 3], [0, 1, 2, 3, 4, 5]), "relative")
    assert resumed.x_at(2, 0) == 2.0
    assert resumed.x_at(3, 0) == 5.0


def test_on_the_step_axis_a_time_goes_to_the_last_point_logged_by_then() -> None:
    out_of_order = curve_xy(_points([0, 2, 1], [0, 1, 2]), "step")  # step 2 logged before 1
    assert out_of_order.x_at(None, T0 + NS * 3 // 2) == 2
    assert out_of_order.x_at(None, T0 - 1) is None
