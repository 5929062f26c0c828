"""Anomalies in the dashboard: a marker in the runs list, marks on the run's chart."""

from __future__ import annotations

import math

import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.store import Store
from runar.tui.screens.run_detail import RunDetailScreen
from runar.tui.widgets.metric_chart import MetricChart, anomaly_marks
from runar.tui.widgets.run_table import RunTable

from .helpers import NS, SIZE, T0, settle, write_events

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
BAD = "aaaaaaaaaaaaaaab"
GOOD = "aaaaaaaaaaaaaaaa"


def run(run_id: str, name: str, start: int, nan_at: int | None) -> list:
    events: list = [RunStarted(run_id=run_id, name=name, ts=start, argv=["train.py"])]
    for i in range(300):
        loss = math.nan if i == nan_at else 2.0 / (1 + i / 30) + 0.3
        events.append(MetricsLogged(values={"loss": loss}, step=i, ts=start + (i + 1) * NS))
    events.append(RunFinished(status="completed", exit_code=0, ts=start + 400 * NS))
    return events


@pytest.fixture
def flagged_store(store: Store) -> Store:
    write_events(store, GOOD, run(GOOD, "healthy", T0, None))
    write_events(store, BAD, run(BAD, "went-nan", T0 + 3600 * NS, 120))
    return store


async def test_the_runs_list_marks_runs_with_anomalies(flagged_store, make_app) -> None:
    app = make_app(flagged_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunTable)
        names = {
            str(table.coordinate_to_cell_key((i, 0)).row_key.value): str(table.get_cell_at((i, 2)))
            for i in range(table.row_count)
        }
        assert names[BAD] == "⚠1 went-nan"
        assert names[GOOD] == "healthy"


async def test_the_chart_marks_where_the_loss_went_nan(flagged_store, make_app) -> None:
    app = make_app(flagged_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the newest run: went-nan
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        [chart] = screen.query("#charts MetricChart").results(MetricChart)
        [line] = chart.lines
        [(x, y)] = line.marks
        assert x == 120.0  # at the NaN's step, at the height of the last finite value
        assert y == pytest.approx(2.0 / (1 + 119 / 30) + 0.3)


def test_marks_sit_on_the_curve_or_before_a_nan() -> None:
    steps = [0.0, 10.0, 20.0, 30.0]
    ys = [1.0, 2.0, math.nan, 4.0]
    assert anomaly_marks(steps, steps, ys, [10, 20, 25, 99]) == [
        (10.0, 2.0),
        (20.0, 2.0),
        (30.0, 4.0),
    ]
