"""The Sweeps pages in a real Chromium: the list, a sweep's points table (sortable, best ★),
its scatter of the metric against a swept key (log axis for a log-spaced key), live updates
while the sweep runs, and the link from a point's run to its sweep."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.sweep.plan import make_plan
from runar.sweep.record import SweepRecorder
from tests.web.conftest import Served

# --lr 1e-4:1e-2:log:3 --seed 0,1 → points 0..5: lr 1e-4, 1e-4, 1e-3, 1e-3, 1e-2, 1e-2
LOSSES = {0: 0.9, 1: 0.8, 2: 0.3, 3: 0.5}  # point 4 runs (0.6 so far), point 5 is queued


@dataclass
class LiveSweep:
    sweep_id: str
    recorder: SweepRecorder
    run_ids: dict[int, str]
    running: JournalWriter


def point_run(served: Served, sweep_id: str, index: int, args: list[str]) -> JournalWriter:
    run_id = new_run_id()
    w = JournalWriter(served.store.run_dir(run_id), run_id, role="runner")
    w.append(RunStarted(run_id=run_id, name=f"lrs-{index}", sweep="lrs", sweep_id=sweep_id,
                        sweep_point=index, argv=["train.py", *args], pid=os.getpid()))  # fmt: skip
    return w


@pytest.fixture
def live_sweep(served: Served) -> Iterator[LiveSweep]:
    plan = make_plan("train.py", ["--lr", "1e-4:1e-2:log:3", "--seed", "0,1"], metric="val/loss")
    recorder = SweepRecorder.create(served.store, plan, "lrs", ["sweep", "train.py"], {})
    run_ids: dict[int, str] = {}
    for point in plan.points[:5]:
        w = point_run(served, recorder.sweep_id, point.index, point.args)
        run_ids[point.index] = w.run_id
        recorder.point(point.index, "running", w.run_id)
        if point.index in LOSSES:
            w.append(MetricsLogged(values={"val/loss": LOSSES[point.index]}, step=1))
            w.append(RunFinished(status="completed"))
            w.close()
            recorder.point(point.index, "completed", w.run_id)
        else:
            w.append(MetricsLogged(values={"val/loss": 0.6}, step=1))
            w.flush()
            running = w
    yield LiveSweep(recorder.sweep_id, recorder, run_ids, running)
    running.close()
    recorder.close()


def column(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        f"table.sweep-points tbody tr {selector}", "cells => cells.map(c => c.textContent.trim())"
    )


def open_sweep(page: Any, served: Served, live_sweep: LiveSweep) -> None:
    page.goto(f"{served.base}/#/sweeps")
    page.locator("table.sweeps a", has_text="lrs").click()
    page.locator("table.sweep-points tbody tr").nth(5).wait_for()


def test_the_list_links_to_a_sweep_whose_table_has_a_row_per_point(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    page.goto(f"{served.base}/#/sweeps")
    row = page.locator("table.sweeps tbody tr")
    assert " ".join(row.inner_text().split()).startswith("lrs running 6: 4 completed, 1 running")
    open_sweep(page, served, live_sweep)
    assert page.evaluate("() => location.hash") == f"#/sweep/{live_sweep.sweep_id}"
    assert column(page, "td:first-child") == ["0", "1", "2 ★", "3", "4", "5"]
    assert column(page, "td[data-option='--lr']") == [
        "1e-4",
        "1e-4",
        "0.001",
        "0.001",
        "0.01",
        "0.01",
    ]
    assert column(page, "td[data-metric='val/loss']") == ["0.9", "0.8", "0.3", "0.5", "0.6", ""]
    statuses = column(page, ".status")
    assert statuses == ["completed"] * 4 + ["running", "queued"]
    assert page.locator("tr.best").get_attribute("data-index") == "2"


def test_a_header_click_sorts_and_a_second_click_reverses(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    open_sweep(page, served, live_sweep)
    page.locator("button.sort[data-column='metrics.val/loss']").click()
    assert column(page, "td[data-metric='val/loss']") == ["0.3", "0.5", "0.6", "0.8", "0.9", ""]
    page.locator("button.sort[data-column='metrics.val/loss']").click()
    assert column(page, "td[data-metric='val/loss']") == ["0.9", "0.8", "0.6", "0.5", "0.3", ""]
    page.locator("button.sort[data-column='status']").click()
    assert column(page, ".status") == ["completed"] * 4 + ["queued", "running"]


def test_the_scatter_draws_each_point_with_a_metric_on_a_log_axis(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    open_sweep(page, served, live_sweep)
    dots = page.locator("svg.sweep-scatter .dot")
    assert dots.count() == 5  # the queued point has no val/loss
    assert page.locator("svg.sweep-scatter polygon.best").get_attribute("data-index") == "2"
    state = page.evaluate("() => window.__runar.sweepChart")
    assert state == {"x": "--lr", "y": "val/loss", "logX": True, "points": 5}
    xs = page.evaluate(
        """() => [0, 2, 4].map(i => {
            const b = document.querySelector(`svg.sweep-scatter .dot[data-index="${i}"]`).getBBox();
            return b.x + b.width / 2;
        })"""
    )
    assert abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 1  # 1e-4, 1e-3, 1e-2: evenly spaced in log
    title = page.locator("svg.sweep-scatter .dot[data-index='3'] title").text_content()
    assert title == "point 3 · --lr 0.001 · val/loss 0.5 · completed"
    page.locator("input.log-x").uncheck()
    assert page.evaluate("() => window.__runar.sweepChart.logX") is False
    page.locator("select.x-key").select_option("--seed")
    assert page.locator("figure.sweep-chart").get_attribute("data-x") == "--seed"


def test_a_point_that_finishes_updates_the_open_page(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    open_sweep(page, served, live_sweep)
    page.evaluate("() => { window.__notReloaded = true; }")
    page.wait_for_function("() => window.__runar.stream?.state === 'live'")
    w = live_sweep.running
    w.append(MetricsLogged(values={"val/loss": 0.1}, step=2))
    w.append(RunFinished(status="completed"))
    w.flush()
    live_sweep.recorder.point(4, "completed", w.run_id)
    page.locator("tr.best[data-index='4']").wait_for()
    assert column(page, ".status")[4] == "completed"
    assert column(page, "td[data-metric='val/loss']")[4] == "0.1"
    assert page.locator("svg.sweep-scatter polygon.best").get_attribute("data-index") == "4"
    assert page.evaluate("() => window.__notReloaded === true")


def test_a_points_run_links_to_its_sweep(served: Served, page: Any, live_sweep: LiveSweep) -> None:
    page.goto(f"{served.base}/#/run/{live_sweep.run_ids[3]}")
    link = page.locator("a.sweep-link")
    assert link.inner_text() == "sweep lrs · point 3"
    link.click()
    page.locator("table.sweep-points tr.best").wait_for()
    assert page.evaluate("() => location.hash") == f"#/sweep/{live_sweep.sweep_id}"
    page.goto(f"{served.base}/#/run/{served.runs['alpha']}")
    page.locator("h1", has_text="alpha").wait_for()
    assert page.locator("a.sweep-link").count() == 0


def test_no_sweeps_says_how_to_start_one(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/sweeps")
    assert "runar sweep train.py" in page.locator(".sweeps-page p.muted").inner_text()


def test_an_unknown_sweep_is_one_line(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/sweep/nope")
    assert "nope" in page.locator("p.error").inner_text()


def test_a_running_point_of_an_ended_sweep_updates_through_the_stream(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    live_sweep.recorder.finish("killed")  # no longer running: the page stops polling
    open_sweep(page, served, live_sweep)
    page.locator(".run-head .status", has_text="killed").wait_for()
    page.wait_for_function("() => window.__runar.stream?.state === 'live'")
    loads = page.evaluate("() => window.__runar.sweepLoads")
    live_sweep.running.append(MetricsLogged(values={"val/loss": 0.05}, step=3))
    live_sweep.running.flush()
    page.wait_for_function(
        "() => document.querySelector(\"tr[data-index='4'] td[data-metric='val/loss']\")"
        "?.textContent === '0.05'"
    )
    assert page.evaluate("() => window.__runar.sweepLoads") > loads


def test_parallel_coordinates_draw_a_line_per_point_across_every_key(
    served: Served, page: Any, live_sweep: LiveSweep
) -> None:
    open_sweep(page, served, live_sweep)
    page.locator("button.view[data-view=parallel]").click()
    lines = page.locator("svg.sweep-parallel polyline.pc-line")
    lines.first.wait_for()
    assert lines.count() == 5  # the queued point has no val/loss
    axes = page.eval_on_selector_all(
        "svg.sweep-parallel .pc-axis", "a => a.map(g => g.dataset.key)"
    )
    assert axes == ["--lr", "--seed", "val/loss"]
    assert page.locator(
        "svg.sweep-parallel .pc-axis[data-key='--lr'] .axis-title"
    ).text_content() == ("--lr (log)")
    best = page.locator("svg.sweep-parallel polyline.best")
    assert best.get_attribute("data-index") == "2"
    corners = [c.split(",") for c in (best.get_attribute("points") or "").split()]
    assert len(corners) == 3  # one corner per axis
    # the lowest loss sits lowest on the metric axis (SVG y grows downwards)
    ys = page.evaluate(
        """() => [...document.querySelectorAll('svg.sweep-parallel polyline.pc-line')]
            .map(l => [Number(l.dataset.index),
                       Number(l.getAttribute('points').split(' ')[2].split(',')[1])])"""
    )
    by_y = [index for index, _ in sorted(ys, key=lambda item: -item[1])]
    assert by_y == [2, 3, 4, 1, 0]  # 0.3, 0.5, 0.6, 0.8, 0.9
    page.locator("button.view[data-view=scatter]").click()
    assert page.locator("svg.sweep-scatter .dot").count() == 5
