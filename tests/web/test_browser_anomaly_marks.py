"""Anomaly marks on the Run page's metric charts, in a real Chromium: a line at each anomaly's
first step, on whichever x axis is chosen, coloured by level, its message on hover; zoom moves
or hides it."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from tests.web.browser import chart_state
from tests.web.client import get_json
from tests.web.conftest import Served


def write_nan_run(served: Served) -> str:
    """'broken': loss falls for 60 steps and goes NaN at step 40; acc stays clean."""
    run_id = new_run_id()
    with JournalWriter(served.store.run_dir(run_id), run_id, role="sdk") as w:
        w.append(RunStarted(run_id=run_id, name="broken", argv=["train.py"]))
        for step in range(60):
            loss = math.nan if step == 40 else 2.0 / (1 + step)
            w.append(MetricsLogged(values={"loss": loss, "acc": step / 60}, step=step))
        w.append(RunFinished(status="completed"))
    return run_id


def marks(page: Any, key: str) -> list[dict[str, Any]]:
    return page.evaluate(
        """key => [...document.querySelectorAll(`figure[data-key="${key}"] .anomaly-mark`)]
            .map(m => ({cls: m.className, title: m.title, x: Number(m.dataset.x),
                        left: parseFloat(m.style.left)}))""",
        key,
    )


def test_a_nan_is_marked_on_the_curve_at_its_first_step(served: Served, page: Any) -> None:
    run_id = write_nan_run(served)
    page.goto(f"{served.base}/#/run/{run_id}?tab=metrics")
    chart_state(page, "metric:loss")
    page.locator("figure[data-key=loss] .anomaly-mark").wait_for()
    found = marks(page, "loss")
    assert [(m["cls"], m["x"]) for m in found] == [("anomaly-mark level-error", 40)]
    assert found[0]["title"] == "nonfinite · loss went NaN at step 40"
    expected = page.evaluate("() => window.__runar.charts['metric:loss'].valToPos(40, 'x')")
    assert abs(found[0]["left"] - expected) < 0.5
    assert marks(page, "acc") == []
    # the mark is where the pointer shows the title
    box = page.locator("figure[data-key=loss] .anomaly-mark").bounding_box()
    assert box is not None and box["height"] > 100


def test_zooming_away_from_the_anomaly_hides_its_mark(served: Served, page: Any) -> None:
    run_id = write_nan_run(served)
    page.goto(f"{served.base}/#/run/{run_id}?tab=metrics")
    page.locator("figure[data-key=loss] .anomaly-mark").wait_for()
    page.evaluate("() => window.__runar.charts['metric:loss'].setScale('x', {min: 0, max: 20})")
    assert marks(page, "loss") == []
    page.evaluate("() => window.__runar.charts['metric:loss'].setScale('x', {min: 30, max: 50})")
    (mark,) = marks(page, "loss")
    width = page.evaluate(
        "() => window.__runar.charts['metric:loss'].bbox.width / devicePixelRatio"
    )
    assert abs(mark["left"] - width / 2) < 1  # step 40 is the middle of 30..50


def test_the_failed_runs_inf_is_marked_too(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/{served.runs['beta']}?tab=metrics")
    page.locator("figure[data-key=loss] .anomaly-mark.level-error").wait_for()
    assert marks(page, "loss")[0]["title"] == "nonfinite · loss went +inf at step 0"


def _mark_on_axis(served: Served, page: Any, run_id: str, axis: str) -> dict[str, Any]:
    """Switch the loss chart to ``axis`` and wait for its mark to move there."""
    curve = get_json(served.base, f"/api/runs/{run_id}/metrics?keys=loss&x={axis}")["series"][0]
    at = curve["x"][40]  # the NaN's point: 60 points are drawn as they are
    page.select_option("select[name=x]", axis)
    page.wait_for_function(
        "x => Number(document.querySelector('figure[data-key=loss] .anomaly-mark')"
        "?.dataset.x) === x",
        arg=at,
    )
    (mark,) = marks(page, "loss")
    expected = page.evaluate(
        "x => window.__runar.charts['metric:loss'].valToPos(x, 'x')", mark["x"]
    )
    assert abs(mark["left"] - expected) < 0.5
    return mark


@pytest.mark.parametrize("axis", ["time", "relative"])
def test_on_a_time_axis_the_mark_is_at_the_same_point_of_the_curve(
    served: Served, page: Any, axis: str
) -> None:
    run_id = write_nan_run(served)
    page.goto(f"{served.base}/#/run/{run_id}?tab=metrics")
    page.locator("figure[data-key=loss] .anomaly-mark").wait_for()
    mark = _mark_on_axis(served, page, run_id, axis)
    assert mark["title"] == "nonfinite · loss went NaN at step 40"
    if axis == "time":
        found_ts = get_json(served.base, f"/api/runs/{run_id}")["anomalies"][0]["ts"]
        assert page.evaluate("() => window.__runar.charts['metric:loss'].scales.x.time")
        assert abs(mark["x"] - found_ts / 1e9) < 1e-3  # the NaN's point is when it was found
    else:
        assert 0 < mark["x"] < 5  # seconds since the first point, not a date


def test_the_mark_follows_every_axis_switch(served: Served, page: Any) -> None:
    run_id = write_nan_run(served)
    page.goto(f"{served.base}/#/run/{run_id}?tab=metrics")
    page.locator("figure[data-key=loss] .anomaly-mark").wait_for()
    for axis in ("relative", "time", "step"):
        _mark_on_axis(served, page, run_id, axis)
    assert marks(page, "loss")[0]["x"] == 40
