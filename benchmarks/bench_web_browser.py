"""The dashboard in a real browser: the runs page on 10,000 runs, and a logged point drawn.

Headless Debian Chromium driven by Playwright (never ``playwright install``). Baselines from
the same run: navigating the same browser to a static file of the same server, and the
journal's flush interval (the time a point needs to be on disk at all).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Final

from harness import Result
from stores import synthetic_store

from runar.events import MetricsLogged, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.journal.policy import FlushPolicy
from runar.projector import catch_up
from runar.web.app import create_app
from runar.web.serve import serving_in_thread

CHROMIUM: Final = Path("/usr/bin/chromium")
ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUNS: Final = 10_000
REPEATS: Final = 5
FIRST_ROW: Final = "table tbody tr"


def _table_visible(page: Any, base: str) -> float:
    start = time.perf_counter()
    page.goto(base + "/")
    page.locator(FIRST_ROW).first.wait_for(state="visible")
    return time.perf_counter() - start


def _static_file(page: Any, base: str) -> float:
    start = time.perf_counter()
    page.goto(base + "/static/style.css")
    return time.perf_counter() - start


def _runs_page(browser: Any, results: list[Result]) -> None:
    store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)
    with serving_in_thread(create_app(store)) as base:
        page = browser.new_page()
        _table_visible(page, base)  # warm: the server's first table build, the JS modules
        shown = statistics.median(_table_visible(page, base) for _ in range(REPEATS))
        floor = statistics.median(_static_file(page, base) for _ in range(REPEATS))
        page.close()
    results.append(
        Result(
            f"runs page, {RUNS:,} runs: table visible (Chromium)",
            f"{shown * 1e3:.0f} ms",
            f"{floor * 1e3:.0f} ms (same browser, a static file)",
            f"{shown / floor:.1f}x",
            "≤ 1 s",
            shown <= 1.0,
        )
    )


def _live_point(browser: Any, results: list[Result], tmp: Path) -> None:
    from runar.store import Store

    store = Store(tmp / ".runar").create()
    run_id = new_run_id()
    policy = FlushPolicy.from_env()
    writer = JournalWriter(store.run_dir(run_id), run_id, role="sdk", policy=policy)
    writer.append(RunStarted(run_id=run_id, name="live"))
    writer.append(MetricsLogged(values={"loss": 1.0}, step=0))
    writer.flush()
    catch_up(store)
    delays = []
    with serving_in_thread(create_app(store)) as base:
        page = browser.new_page()
        page.goto(f"{base}/#/run/{run_id}?tab=metrics")
        page.wait_for_function("() => window.__runar.charts['metric:loss']?.data[1].length >= 1")
        page.wait_for_function("() => window.__runar.stream?.state === 'live'")
        for step in range(1, REPEATS + 1):
            start = time.perf_counter()
            writer.append(MetricsLogged(values={"loss": 1.0 / (step + 1)}, step=step))  # log()
            page.wait_for_function(
                f"() => window.__runar.charts['metric:loss'].data[1].length === {step + 1}",
                polling=10,
            )
            delays.append(time.perf_counter() - start)
        page.close()
    writer.close()
    delay = statistics.median(delays)
    flush = policy.flush_interval_s
    results.append(
        Result(
            "log() → the point drawn in an open page",
            f"{delay * 1e3:.0f} ms",
            f"{flush * 1e3:.0f} ms (the journal's flush interval)",
            f"{delay / flush:.1f}x",
            "≤ 1 s",
            delay <= 1.0,
        )
    )


def run() -> list[Result]:
    import tempfile

    if not CHROMIUM.exists():
        return [Result("web in a browser", "skipped: no /usr/bin/chromium", "", "", "", None)]
    from playwright.sync_api import sync_playwright

    results: list[Result] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            _runs_page(browser, results)
            _live_point(browser, results, Path(tmp))
        finally:
            browser.close()
    return results
