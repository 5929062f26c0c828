"""An event loop of one's own still runs after the browser tests: Playwright's sync loop is
the main thread's running loop only while a browser test uses it (see browser.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.web.conftest import Served


def test_a_browser_test_runs_first(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/runs")
    page.locator("table.runs").wait_for()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_anyio_test_after_it_runs_its_own_loop(anyio_backend: str) -> None:
    await asyncio.sleep(0)
    assert asyncio.get_running_loop().is_running()


def test_asyncio_run_after_it_works() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert asyncio.run(answer()) == 42


def test_and_the_browser_still_works_after_them(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/runs")
    page.locator("table.runs").wait_for()
