"""Run details and compare screens: their keys, and what they show."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Log, Static, TabbedContent

from runar.store import Store
from runar.tui.screens.compare import CompareScreen, command_lines, differing_config
from runar.tui.screens.run_detail import RunDetailScreen
from runar.tui.widgets.metric_chart import MetricChart

from .helpers import RUN_A, RUN_B, SIZE, settle

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def text_of(static: Static) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def open_details(pilot, run_index: int) -> RunDetailScreen:
    await settle(pilot)
    await pilot.press(*["down"] * run_index, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunDetailScreen)
    return screen


async def test_number_keys_switch_tabs(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        tabs = screen.query_one(TabbedContent)
        order = ("metrics", "steps", "artifacts", "logs", "system", "overview")
        for key, tab in zip("234561", order, strict=True):
            await pilot.press(key)
            assert tabs.active == tab


async def test_metrics_tab_charts_each_metric(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        charts = {c.chart_title: c for c in screen.query("#charts MetricChart")}
        assert set(charts) == {"acc", "loss"}
        assert len(charts["loss"].lines[0].ys) == 20


async def test_x_z_m_change_how_charts_draw(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        await pilot.press("x", "z", "m")
        assert (screen.view.by_time, screen.view.zoom, screen.view.smoothing) == (True, 100, 0.6)
        chart = screen.query_one("#charts MetricChart", MetricChart)
        assert chart.view == screen.view


async def test_o_opens_the_artifact_with_the_viewer(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_details(pilot, 2)
        await pilot.press("4", "o")
        assert app.opened == [runs_store.artifacts_dir(RUN_A) / "metrics.json"]


async def test_artifact_preview_shows_json_and_image_size(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        await pilot.press("4")
        preview = screen.query_one("#preview", Static)
        assert "metrics.json" in text_of(preview)
        screen.query_one("#artifacts-table").focus()
        await pilot.press("down")
        await pilot.pause()
        assert "64 × 48 px" in text_of(preview)


async def test_slash_searches_the_logs(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        log = screen.query_one(Log)
        assert log.lines == ["epoch 1 done", "loss went down"]
        await pilot.press("slash", *"loss", "enter")
        assert log.lines == ["loss went down"]


async def test_system_tab_charts_cpu_and_memory(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 2)
        titles = [c.chart_title for c in screen.query("#system-charts MetricChart")]
        assert titles == ["CPU %", "RSS MB"]


async def test_compare_shows_shared_metrics_and_differing_config(
    runs_store: Store, make_app
) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "space", "space", "c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.run_ids == [RUN_B, RUN_A]
        charts = {c.chart_title: c for c in screen.query(MetricChart)}
        assert set(charts) == {"acc", "loss"}
        assert [line.label for line in charts["acc"].lines] == ["big-lr", "baseline"]
        # lr from the command line (--lr 0.1 / --lr 0.001), optim.lr from config()
        assert [key for key, _ in differing_config(screen.entries)] == ["lr", "optim.lr"]
        assert command_lines(screen.entries) == ["train.py --lr 0.1", "train.py --lr 0.001"]
        await pilot.press("3")
        assert screen.query_one(TabbedContent).active == "final"
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
