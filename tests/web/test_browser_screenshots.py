"""The README's screenshots, taken from the demo store so they stay current.

The pages are always rendered and checked; the PNGs under docs/screenshots/ are only
rewritten when RUNAR_SCREENSHOTS=1, so ordinary runs leave the tree clean.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.web.browser import DEMO_RUNS, chart_state, wait_rows

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page: Any, name: str) -> None:
    page.mouse.move(0, 0)  # no hover state in the picture
    page.evaluate("() => document.activeElement?.blur()")
    if os.environ.get("RUNAR_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_screenshots_of_the_three_pages(demo_served: tuple[str, dict[str, str]], page: Any) -> None:
    base, runs = demo_served
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(base + "/")
    wait_rows(page, len(DEMO_RUNS))
    page.check(f"tr[data-run='{runs['baseline']}'] input[type=checkbox]")
    page.check(f"tr[data-run='{runs['lr-3e-3']}'] input[type=checkbox]")
    shoot(page, "runs")

    page.goto(f"{base}/#/run/{runs['baseline']}?tab=metrics")
    assert len(chart_state(page, "metric:loss")["x"]) == 300
    chart_state(page, "metric:val_loss")
    shoot(page, "run")

    page.goto(f"{base}/#/run/{runs['baseline']}?tab=steps")
    page.locator("li.step").nth(2).wait_for()
    shoot(page, "steps")

    page.goto(f"{base}/#/compare?runs={','.join(runs[s.name] for s in DEMO_RUNS)}")
    assert chart_state(page, "compare:loss")["labels"] == [s.name for s in DEMO_RUNS]
    chart_state(page, "compare:val_loss")
    shoot(page, "compare")
