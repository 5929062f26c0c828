"""The Run page lists a run's anomalies, in a real Chromium."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Served


def test_the_overview_lists_the_runs_anomalies(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/{served.runs['beta']}")
    page.locator("h1", has_text="beta").wait_for()
    item = page.locator("li.anomaly.error")
    assert " ".join(item.inner_text().split()) == "nonfinite · step 0 loss went +inf at step 0"
    page.goto(f"{served.base}/#/run/{served.runs['xss']}")
    page.locator(".run-head .id", has_text=served.runs["xss"]).wait_for()
    assert page.locator("ul.anomalies").count() == 0


def test_a_chart_whose_key_went_wrong_carries_a_badge(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/{served.runs['beta']}?tab=metrics")
    badge = page.locator("figure[data-key=loss] .anomaly-badge.error")
    assert badge.inner_text() == "⚠ 1"
    assert badge.get_attribute("title") == "loss went +inf at step 0"
