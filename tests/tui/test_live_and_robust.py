"""Live updates from another process, and the states that must never crash the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runar.store import Store
from runar.tui.screens.run_detail import RunDetailScreen
from runar.tui.widgets.run_table import RunTable

from .helpers import RUN_A, RUN_C, T0, run_events, settle, until, write_events

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

LOGGER = textwrap.dedent(
    """
    import sys, time
    from runar.events import MetricsLogged, RunStarted
    from runar.journal import JournalWriter
    from runar.store import Store
    store = Store.discover().create()
    run_id = sys.argv[1]
    w = JournalWriter(store.run_dir(run_id), run_id, role="sdk")
    w.append(RunStarted(run_id=run_id, name="streaming"))
    for i in range(400):
        w.append(MetricsLogged(values={"loss": 100.0 - i}, step=i))
        time.sleep(0.05)
    w.close()
    """
)


def cell(app: object, column: str) -> str:
    table = app.screen.query_one(RunTable)  # type: ignore[attr-defined]
    if not table.row_count or column not in table.metric_keys:
        return ""
    return str(table.get_cell_at((0, list(table.columns).index(column))))


async def test_a_run_logged_by_another_process_appears_and_updates(
    tmp_path: Path, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "fresh" / ".runar")  # does not exist yet: the empty state
    monkeypatch.setenv("RUNAR_DIR", str(store.root))
    monkeypatch.setenv("RUNAR_FLUSH_INTERVAL", "0.05")
    app = make_app(store, watch=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.loaded)
        empty = app.screen.query_one("#empty")
        assert empty.display and "runar train.py" in str(empty.content)
        proc = subprocess.Popen([sys.executable, "-c", LOGGER, RUN_A], env=os.environ.copy())
        try:
            assert await until(pilot, lambda: cell(app, "loss") != "", timeout_s=20)
            first = cell(app, "loss")
            assert await until(pilot, lambda: cell(app, "loss") not in ("", first), timeout_s=10)
        finally:
            proc.kill()
            proc.wait()


async def test_a_run_deleted_by_another_process_leaves_its_details_open(
    runs_store: Store, make_app
) -> None:
    app = make_app(runs_store, watch=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.complete)
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        shutil.rmtree(runs_store.run_dir(RUN_C))
        assert await until(pilot, lambda: app.screen.deleted, timeout_s=10)
        await pilot.press("2", "escape")
        assert await until(pilot, lambda: RUN_C not in app.entries)
        assert app.screen.query_one(RunTable).row_count == 2


async def test_a_damaged_segment_shows_a_warning_badge(store: Store, make_app) -> None:
    write_events(store, RUN_A, run_events(RUN_A, "hurt", T0))
    (store.run_dir(RUN_A) / "sdk-zzzzzzzzzz.000001.jsonl").write_text("not an event\n")
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunTable)
        assert str(table.get_cell_at((0, 2))).startswith("⚠")


async def test_an_80_by_24_terminal_shows_every_screen(runs_store: Store, make_app) -> None:
    app = make_app(runs_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
        await pilot.press("escape", "space", "space", "c")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.is_running
