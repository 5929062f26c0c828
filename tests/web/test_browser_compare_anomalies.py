"""Anomaly marks on the Compare page's overlays, in a real Chromium: each run's anomalies on its
own curve, in its line's colour, its name in the hover title; they follow the x axis, zoom and
hide with the run's curve."""

from __future__ import annotations

import math
from typing import Any

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from tests.web.browser import chart_state
from tests.web.client import get_json
from tests.web.conftest import Served


def write_run(served: Served, name: str, bad_at: int | None, bad: float = math.nan) -> str:
    """60 steps of a falling loss (``bad`` at step ``bad_at``) and a clean acc."""
    run_id = new_run_id()
    with JournalWriter(served.store.run_dir(run_id), run_id, role="sdk") as w:
        w.append(RunStarted(run_id=run_id, name=name, argv=["train.py"]))
        for step in range(60):
            loss = bad if step == bad_at else 2.0 / (1 + step)
            w.append(MetricsLogged(values={"loss": loss, "acc": step / 60}, step=step))
        w.append(RunFinished(status="completed"))
    return run_id


def open_three(served: Served, page: Any) -> list[str]:
    """Compare 'nan-40', 'inf-25' and the clean 'steady', in that order; wait for both marks."""
    ids = [
        write_run(served, "nan-40", 40),
        write_run(served, "inf-25", 25, math.inf),
        write_run(served, "steady", None),
    ]
    page.goto(f"{served.base}/#/compare?runs={','.join(ids)}")
    chart_state(page, "compare:loss")
    page.wait_for_function(
        "() => document.querySelectorAll('figure[data-key=loss] .anomaly-mark').length === 2"
    )
    return ids


def marks(page: Any, key: str) -> list[dict[str, Any]]:
    return page.evaluate(
        """key => [...document.querySelectorAll(`figure[data-key="${key}"] .anomaly-mark`)]
            .map(m => ({cls: m.className, title: m.title, x: Number(m.dataset.x),
                        left: parseFloat(m.style.left), color: getComputedStyle(m).color}))
            .sort((a, b) => a.x - b.x)""",
        key,
    )


def swatches(page: Any) -> list[str]:
    """Each compared run's line colour, as its legend swatch shows it, in page order."""
    return page.evaluate(
        """() => [...document.querySelectorAll('ul.legend li .swatch')]
            .map(s => getComputedStyle(s).backgroundColor)"""
    )


def test_each_runs_anomaly_is_marked_on_its_curve_in_its_colour(served: Served, page: Any) -> None:
    open_three(served, page)
    nan_colour, inf_colour, steady_colour = swatches(page)
    assert len({nan_colour, inf_colour, steady_colour}) == 3
    found = marks(page, "loss")
    assert [(m["x"], m["color"], m["title"]) for m in found] == [
        (25, inf_colour, "inf-25 · nonfinite · loss went +inf at step 25"),
        (40, nan_colour, "nan-40 · nonfinite · loss went NaN at step 40"),
    ]
    assert all(m["cls"] == "anomaly-mark level-error" for m in found)  # the level stays readable
    red = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--bad').trim()"
    )
    assert red and all(m["color"] != red for m in found)  # the run's colour, not the level's
    for m in found:
        expected = page.evaluate(
            "x => window.__runar.charts['compare:loss'].valToPos(x, 'x')", m["x"]
        )
        assert abs(m["left"] - expected) < 0.5
    assert marks(page, "acc") == []


def test_hiding_a_run_in_the_chart_legend_hides_its_marks(served: Served, page: Any) -> None:
    open_three(served, page)
    legend = page.locator("figure[data-key=loss] .u-legend .u-series")
    legend.nth(2).click()  # 0 is the x axis: 2 is 'inf-25'
    page.wait_for_function(
        "() => document.querySelectorAll('figure[data-key=loss] .anomaly-mark').length === 1"
    )
    assert [m["x"] for m in marks(page, "loss")] == [40]
    legend.nth(2).click()
    page.wait_for_function(
        "() => document.querySelectorAll('figure[data-key=loss] .anomaly-mark').length === 2"
    )


def test_with_smoothing_the_marks_stay_and_hide_with_either_of_the_runs_lines(
    served: Served, page: Any
) -> None:
    open_three(served, page)
    page.locator("input[name=smoothing]").fill("0.6")
    page.wait_for_function(
        "() => window.__runar.charts['compare:loss']?.series.length === 7"  # x + raw, smoothed ×3
    )
    page.wait_for_function(
        "() => document.querySelectorAll('figure[data-key=loss] .anomaly-mark').length === 2"
    )
    legend = page.locator("figure[data-key=loss] .u-legend .u-series")
    legend.nth(3).click()  # 'inf-25' raw
    assert len(marks(page, "loss")) == 2  # its smoothed line is still shown
    legend.nth(4).click()  # 'inf-25 (smoothed)'
    page.wait_for_function(
        "() => document.querySelectorAll('figure[data-key=loss] .anomaly-mark').length === 1"
    )


def test_zooming_away_hides_the_marks_outside(served: Served, page: Any) -> None:
    open_three(served, page)
    page.evaluate("() => window.__runar.charts['compare:loss'].setScale('x', {min: 30, max: 50})")
    (mark,) = marks(page, "loss")
    width = page.evaluate(
        "() => window.__runar.charts['compare:loss'].bbox.width / devicePixelRatio"
    )
    assert mark["x"] == 40 and abs(mark["left"] - width / 2) < 1


def test_on_the_time_axis_each_mark_is_at_its_runs_point(served: Served, page: Any) -> None:
    nan_id, inf_id, _ = open_three(served, page)
    at = []
    for run_id, step in ((inf_id, 25), (nan_id, 40)):
        curve = get_json(served.base, f"/api/runs/{run_id}/metrics?keys=loss&x=time")
        at.append(curve["series"][0]["x"][step])
    page.select_option("select[name=x]", "time")
    page.wait_for_function(
        """at => {
            const xs = [...document.querySelectorAll('figure[data-key=loss] .anomaly-mark')]
                .map(m => Number(m.dataset.x)).sort((a, b) => a - b);
            return xs.length === 2 && xs.every((x, i) => Math.abs(x - at[i]) < 1e-6);
        }""",
        arg=sorted(at),
    )
    assert page.evaluate("() => window.__runar.charts['compare:loss'].scales.x.time")
    for m in marks(page, "loss"):
        expected = page.evaluate(
            "x => window.__runar.charts['compare:loss'].valToPos(x, 'x')", m["x"]
        )
        assert abs(m["left"] - expected) < 0.5
