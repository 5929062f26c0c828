"""The runs list's edit keys (t, R, n) write edit events; p switches between projects."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runar.events import NoteAdded, RunRenamed, TagsChanged
from runar.journal import edits, read_run
from runar.journal.sync import sync
from runar.projector import rebuild
from runar.store import Store
from runar.tui.screens.prompt import PromptScreen
from runar.tui.screens.runs import RunsScreen
from runar.views import open_views

from .helpers import RUN_A, RUN_B, RUN_C, SIZE, settle, until
from .test_runs_screen import row_ids, table

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def edit_events(store: Store, run_id: str, kind: type) -> list:
    events = read_run(store.run_dir(run_id)).events
    return [e for e in events if isinstance(e, kind) and e.writer.startswith("edit-")]


async def answer(pilot, key: str, text: str, clear: bool = False) -> None:
    """Press ``key``, type ``text`` into the prompt and press Enter."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
    if clear:
        pilot.app.screen.query_one("#prompt-input").value = ""
    await pilot.press(*text, "enter")
    await settle(pilot)


async def test_t_tags_the_run_under_the_cursor(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).current_run_id == RUN_C
        await answer(pilot, "t", "+best -gpu")
        assert await until(pilot, lambda: app.entries[RUN_C].summary.tag_list() == ["best"])
        (event,) = edit_events(runs_store, RUN_C, TagsChanged)
        assert (event.added, event.removed) == (["best"], ["gpu"])
        row = table(app).get_row(RUN_C)
        assert any("best" in str(cell) for cell in row)


async def test_selected_runs_are_tagged_together(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space", "space")  # selects C, then B
        await answer(pilot, "t", "+sweep")
        for run_id in (RUN_B, RUN_C):
            assert [e.added for e in edit_events(runs_store, run_id, TagsChanged)] == [["sweep"]]
        assert edit_events(runs_store, RUN_A, TagsChanged) == []


async def test_shift_r_renames_and_n_adds_a_note(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await answer(pilot, "R", "lr-too-high", clear=True)
        await answer(pilot, "n", "diverged at step 3")
        assert await until(pilot, lambda: app.entries[RUN_B].summary.display_name == "lr-too-high")
        assert [e.name for e in edit_events(runs_store, RUN_B, RunRenamed)] == ["lr-too-high"]
        assert [e.text for e in edit_events(runs_store, RUN_B, NoteAdded)] == ["diverged at step 3"]
        assert any("lr-too-high" in str(cell) for cell in table(app).get_row(RUN_B))


async def test_a_bad_answer_or_escape_writes_nothing(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await answer(pilot, "t", "best")  # neither +best nor -best
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        assert edit_events(runs_store, RUN_C, TagsChanged) == []


async def test_p_switches_between_projects(
    runs_store: Store, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    edits.move_runs(runs_store, {RUN_A: time.time_ns()}, "vision")
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert row_ids(app) == [RUN_A]  # as `runar ls`: the current project first
        assert "project vision" in app.screen.sub_title
        await pilot.press("p")
        assert row_ids(app) == [RUN_C, RUN_B, RUN_A]  # all
        await pilot.press("p")
        assert row_ids(app) == [RUN_C, RUN_B]  # the store's own, for runs without a project
        await pilot.press("p", "p")
        assert row_ids(app) == [RUN_C, RUN_B, RUN_A]


async def test_tui_edits_survive_reindex_and_sync_once(
    runs_store: Store, make_app, tmp_path: Path
) -> None:
    other = Store(tmp_path / "other" / ".runar").create()
    sync(runs_store.root, other.root)
    edits.tag_runs(other, {RUN_A: time.time_ns()}, edits.TagChanges(added=("best",)))
    app = make_app(runs_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await answer(pilot, "t", "+best")
        await answer(pilot, "R", "kept", clear=True)
    rebuild(runs_store)
    sync(runs_store.root, other.root)
    sync(other.root, runs_store.root)
    for store in (runs_store, other):
        with open_views(store) as views:
            summary = views.get(RUN_A)
            assert summary.tag_list() == ["baseline", "best"]
            assert summary.display_name == "kept"
