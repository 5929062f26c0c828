"""A run recorded over HTTP shows in the terminal dashboard like any other: its steps, artifacts.

Here rather than in tests/web: a worker that has run the browser tests keeps Playwright's
sync loop registered on its main thread, which an anyio test started after it trips over.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from runar.tui.app import RunarApp
from runar.tui.screens.run_detail import RunDetailScreen
from tests.tui.helpers import SIZE, settle
from tests.web.write_helpers import writable_server

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _cells(table: DataTable) -> str:
    return " ".join(str(c) for row in range(table.row_count) for c in table.get_row_at(row))


async def test_http_steps_and_artifacts_show_in_the_dashboard(store) -> None:
    with writable_server(store) as w, w.client() as c:
        run_id = c.post("/api/runs", json={"name": "from-http"}).json()["id"]
        step = c.post(f"/api/runs/{run_id}/steps", json={"name": "extract"}).json()["step_id"]
        point = {"step": 1, "values": {"rows": 5}, "workflow_step": step}
        c.post(f"/api/runs/{run_id}/metrics", json=point)
        c.post(
            f"/api/runs/{run_id}/artifacts",
            params={"name": "extract.log", "kind": "log", "step": step},
            content=b"ok\n",
        )
        failure = {"error": "disk full", "error_type": "OSError"}
        c.post(f"/api/runs/{run_id}/steps/{step}/fail", json=failure)
        c.post(f"/api/runs/{run_id}/finish", json={"status": "failed"})
    app = RunarApp(store, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RunDetailScreen)
        await pilot.press("3")
        await settle(pilot)
        steps = _cells(screen.query_one("#steps-table", DataTable))
        assert "extract" in steps and "failed" in steps and "OSError" in steps
        assert "rows" in steps and "extract.log" in steps  # the step's metrics and artifacts
        await pilot.press("4")
        await settle(pilot)
        assert "extract.log" in _cells(screen.query_one("#artifacts-table", DataTable))
