"""Live pages in a real Chromium: a run written while the page is open shows up and grows,
and a dropped stream loses nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from runar.events import ConfigSet, MetricsLogged, OutputCaptured, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.cli.helpers import write_run
from tests.web.browser import DroppingProxy, chart_state, row_names, wait_rows
from tests.web.client import get_json
from tests.web.conftest import Served


@pytest.fixture
def live_run(served: Served) -> Iterator[tuple[str, JournalWriter]]:
    """A run this process is writing (so it is 'running'), with two points logged."""
    run_id = new_run_id()
    writer = JournalWriter(served.store.run_dir(run_id), run_id, role="sdk")
    writer.append(RunStarted(run_id=run_id, name="growing", argv=["train.py"]))
    writer.append(ConfigSet(values={"lr": 0.01}))
    writer.append(MetricsLogged(values={"loss": 2.0}, step=0))
    writer.append(MetricsLogged(values={"loss": 1.5}, step=1))
    writer.append(OutputCaptured(stream="stdout", text="step 1 done\n"))
    writer.flush()
    yield run_id, writer
    writer.close()


def mark_document(page: Any) -> None:
    """A value that only survives if the page is never reloaded."""
    page.evaluate("() => { window.__notReloaded = true; }")


def still_same_document(page: Any) -> bool:
    return page.evaluate("() => window.__notReloaded === true")


def wait_server_total(base: str, total: int) -> None:
    deadline = time.monotonic() + 15
    while get_json(base, "/api/runs")["total"] != total:
        assert time.monotonic() < deadline, "the server never saw the new run"
        time.sleep(0.05)


def wait_live(page: Any) -> None:
    page.wait_for_function("() => window.__runar.stream?.state === 'live'")


def test_a_new_run_appears_in_the_open_table(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    wait_live(page)
    mark_document(page)
    write_run(served.store, name="newcomer", metrics=[{"acc": 0.9}])
    wait_rows(page, 4)
    assert row_names(page)[0] == "newcomer"
    assert page.locator(".count").inner_text() == "4 of 4 runs"
    assert still_same_document(page)


def test_a_running_run_grows_and_finishes_without_a_reload(
    served: Served, live_run: tuple[str, JournalWriter], page: Any
) -> None:
    run_id, writer = live_run
    page.goto(f"{served.base}/#/run/{run_id}?tab=metrics")
    assert chart_state(page, "metric:loss")["ys"] == [[2.0, 1.5]]
    assert page.locator(".run-head .status").inner_text() == "running"
    wait_live(page)
    mark_document(page)

    writer.append(MetricsLogged(values={"loss": 1.2}, step=2))
    writer.append(MetricsLogged(values={"loss": 0.9}, step=3))
    writer.flush()
    page.wait_for_function("() => window.__runar.charts['metric:loss'].data[1].length === 4")
    assert chart_state(page, "metric:loss")["ys"] == [[2.0, 1.5, 1.2, 0.9]]

    page.click(".tabs a:text-is('Logs')")
    page.locator(".log .line").first.wait_for()
    assert page.locator("input[name='follow']").is_checked()
    writer.append(OutputCaptured(stream="stdout", text="step 3 done\n"))
    writer.flush()
    page.wait_for_function("() => document.querySelectorAll('.log .line').length === 2")
    assert page.locator(".log .line .text").all_inner_texts() == ["step 1 done", "step 3 done"]

    writer.append(RunFinished(status="completed", exit_code=0))
    writer.flush()
    page.wait_for_function(
        "() => document.querySelector('.run-head .status').textContent === 'completed'"
    )
    assert still_same_document(page)


def test_a_running_row_changes_status_in_the_table(
    served: Served, live_run: tuple[str, JournalWriter], page: Any
) -> None:
    run_id, writer = live_run
    page.goto(served.base + "/")
    wait_rows(page, 4)
    wait_live(page)
    status = page.locator(f"tr[data-run='{run_id}'] .status")
    assert status.inner_text() == "running"
    writer.append(MetricsLogged(values={"loss": 0.5}, step=2))
    writer.append(RunFinished(status="failed", exit_code=1, error="RuntimeError: out of memory"))
    writer.flush()
    page.wait_for_function(
        "id => document.querySelector(`tr[data-run='${id}'] .status`).textContent === 'failed'",
        arg=run_id,
    )
    assert (
        page.locator(f"tr[data-run='{run_id}'] .row-error").inner_text()
        == "RuntimeError: out of memory"
    )


@pytest.fixture
def proxied(served: Served) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(int(served.base.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()


def test_a_dropped_stream_resumes_from_its_last_event_id_and_misses_nothing(
    served: Served, proxied: DroppingProxy, page: Any
) -> None:
    page.goto(proxied.base + "/")
    wait_rows(page, 3)
    wait_live(page)
    mark_document(page)
    proxied.drop()
    page.wait_for_function("() => window.__runar.stream.state !== 'live'")
    write_run(served.store, name="while-dropped")
    wait_server_total(served.base, 4)  # published while the page could not hear it
    proxied.restore()
    wait_rows(page, 4)
    assert "while-dropped" in row_names(page)
    stream = page.evaluate("() => window.__runar.stream")
    assert stream["opens"] >= 2
    assert stream["resets"] == 0  # the server replayed what was missed: no refetch needed
    assert still_same_document(page)


def test_a_restarted_server_resets_the_page_which_then_has_everything(
    store: Store, page: Any
) -> None:
    write_run(store, name="first")
    with serving_in_thread(create_app(store)) as first:
        proxy = DroppingProxy(int(first.rsplit(":", 1)[1]))
        page.goto(proxy.base + "/")
        wait_rows(page, 1)
        wait_live(page)
        mark_document(page)
        proxy.drop()
    try:
        page.wait_for_function("() => window.__runar.stream.state !== 'live'")
        write_run(store, name="while-down")
        with serving_in_thread(create_app(store)) as second:
            proxy.restore(int(second.rsplit(":", 1)[1]))
            wait_rows(page, 2)
            assert row_names(page) == ["while-down", "first"]
            assert page.evaluate("() => window.__runar.stream.resets") >= 1
            assert still_same_document(page)
    finally:
        proxy.close()
