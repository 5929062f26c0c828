"""The dashboard's sweeps screen (`w`): sweeps, the chosen one's points, the best marked."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from runar.tui.app import RunarApp
from runar.tui.screens.run_detail import RunDetailScreen
from runar.tui.screens.sweeps import BEST, SweepsScreen
from tests.sweep.conftest import sweep_with_runs
from tests.tui.helpers import SIZE, settle

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_w_lists_sweeps_and_the_points_of_the_highlighted_one(store):
    sweep_with_runs(store)
    app = RunarApp(store, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, SweepsScreen)
        sweeps = cells(app.screen.query_one("#sweeps", DataTable))
        assert [row[:3] for row in sweeps] == [["web", "completed", "2/2"]]
        points = cells(app.screen.query_one("#sweep-points", DataTable))
        assert [(row[0], row[2]) for row in points] == [("", "1e-3"), (BEST, "1e-2")]
        await pilot.press("enter", "down", "enter")  # into the points, the second one
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.run_id == "b" * 16


async def test_without_sweeps_the_screen_says_how_to_start_one(store):
    app = RunarApp(store, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        title = app.screen.query_one("#sweep-title")
        assert "runar sweep train.py" in str(title.render())
