"""Pictures of each screen (pytest-textual-snapshot); update with --snapshot-update."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from runar.store import Store

from .helpers import SIZE, settle

pytestmark = pytest.mark.timeout(60)


def test_runs_list(runs_store: Store, make_app, snap_compare) -> None:
    assert snap_compare(make_app(runs_store), run_before=settle, terminal_size=SIZE)


def test_empty_store(tmp_path, make_app, snap_compare) -> None:
    app = make_app(Store(tmp_path / ".runar"))
    assert snap_compare(app, run_before=settle, terminal_size=SIZE)


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5", "6"])
def test_details_tab(runs_store: Store, make_app, snap_compare, tab: str) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        await pilot.press(tab)
        await settle(pilot)

    assert snap_compare(make_app(runs_store), run_before=before, terminal_size=SIZE)


@pytest.mark.parametrize("tab", ["1", "2", "3"])
def test_compare(runs_store: Store, make_app, snap_compare, tab: str) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("space", "space", "space", "c")
        await settle(pilot)
        await pilot.press(tab)
        await settle(pilot)

    assert snap_compare(make_app(runs_store), run_before=before, terminal_size=SIZE)
