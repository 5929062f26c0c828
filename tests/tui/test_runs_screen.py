"""The runs list driven by its keys against a real store."""

from __future__ import annotations

import pytest

from runar.store import Store
from runar.tui.screens.compare import CompareScreen
from runar.tui.screens.confirm import ConfirmScreen
from runar.tui.screens.help import HelpScreen
from runar.tui.screens.run_detail import RunDetailScreen
from runar.tui.screens.runs import RunsScreen
from runar.tui.widgets.run_table import RunTable

from .helpers import RUN_A, RUN_B, RUN_C, SIZE, settle, until

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def table(app: object) -> RunTable:
    return app.screen.query_one(RunTable)  # type: ignore[attr-defined]


def row_ids(app: object) -> list[str]:
    t = table(app)
    return [str(t.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(t.row_count)]


async def test_rows_are_newest_first(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_ids(app) == [RUN_C, RUN_B, RUN_A]


async def test_j_and_k_move_the_cursor(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        assert table(app).current_run_id == RUN_A
        await pilot.press("k")
        assert table(app).current_run_id == RUN_B
        await pilot.press("up")
        assert table(app).current_run_id == RUN_C


async def test_enter_opens_details_and_escape_returns(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.run_id == RUN_B
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_space_selects_and_c_compares(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space", "space")
        assert app.screen.selected == {RUN_C, RUN_B}
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert app.screen.run_ids == [RUN_C, RUN_B]


async def test_c_with_one_run_selected_explains_instead(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space", "c")
        assert isinstance(app.screen, RunsScreen)


async def test_d_deletes_the_current_run_after_yes(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert not runs_store.run_dir(RUN_B).exists()
        assert row_ids(app) == [RUN_C, RUN_A]


async def test_d_then_no_keeps_the_run(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d", "n")
        await settle(pilot)
        assert runs_store.run_dir(RUN_C).exists()
        assert len(row_ids(app)) == 3


async def test_shift_d_deletes_every_shown_run(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert runs_store.run_ids() == []
        assert app.screen.query_one("#empty").display


async def test_slash_filters_by_words_and_values(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"lr<0.01 acc>0.85", "enter")
        assert row_ids(app) == [RUN_C, RUN_A]
        await pilot.press("slash", "ctrl+u", *"failed", "enter")
        assert row_ids(app) == [RUN_B]


async def test_escape_clears_the_filter(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"baseline", "escape")
        assert row_ids(app) == [RUN_C, RUN_B, RUN_A]


async def test_s_sorts_and_r_reverses(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # by name, a → z
        assert row_ids(app) == [RUN_A, RUN_B, RUN_C]
        await pilot.press("r")
        assert row_ids(app) == [RUN_C, RUN_B, RUN_A]


async def test_question_mark_lists_every_key(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {keys for keys, _ in app.screen.rows}
        assert {"j", "k", "Space", "c", "d", "D", "/", "?", "q"} <= listed
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_q_quits(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        assert await until(pilot, lambda: not app.is_running)
