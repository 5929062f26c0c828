"""The Runs page in a real Chromium: the table, sorting, filtering, selecting runs to compare."""

from __future__ import annotations

from typing import Any

from tests.web.browser import row_names, wait_rows
from tests.web.conftest import XSS, Served


def test_the_table_lists_every_run_newest_first(served: Served, page: Any) -> None:
    response = page.goto(served.base + "/")
    wait_rows(page, 3)
    assert row_names(page) == [XSS, "beta", "alpha"]
    assert (
        page.locator("table.runs tbody tr", has_text="beta").locator(".status").inner_text()
        == "failed"
    )
    assert page.locator(".count").inner_text() == "3 of 3 runs"
    # the checks run under the server's real policy, so a blocked script would fail them
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_a_row_shows_config_and_last_metric_columns(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    headers = page.locator("table.runs thead th").all_inner_texts()
    assert "lr" in headers and "acc" in headers
    alpha = page.locator("tr", has_text="alpha")
    cells = alpha.locator("td").all_inner_texts()
    assert cells[headers.index("lr")] == "0.001"
    assert cells[headers.index("acc")] == "0.7"


def wait_names(page: Any, names: list[str]) -> None:
    page.wait_for_function(
        """names => JSON.stringify([...document.querySelectorAll('table.runs tbody td.name a')]
            .map(a => a.textContent)) === JSON.stringify(names)""",
        arg=names,
    )


def test_clicking_a_header_sorts_by_it_and_again_reverses(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_names(page, [XSS, "beta", "alpha"])
    page.click("button.sort[data-column='name']")
    wait_names(page, sorted([XSS, "beta", "alpha"]))
    assert page.evaluate("() => location.hash") == "#/?sort=name"
    page.click("button.sort[data-column='name']")
    wait_names(page, sorted([XSS, "beta", "alpha"], reverse=True))
    assert page.locator("th[aria-sort='descending']").inner_text() == "name ▼"


def test_sorting_by_a_metric_column_orders_by_its_last_value(served: Served, page: Any) -> None:
    page.goto(served.base + "/#/?sort=-metrics.acc")
    page.wait_for_function("() => document.querySelectorAll('table.runs tbody tr').length >= 1")
    assert row_names(page)[0] == "alpha"
    assert page.locator("th[aria-sort='descending']").inner_text().startswith("acc")


def test_the_filter_box_sends_the_filter_language_to_the_server(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    page.fill("input[name='where']", "tag:baseline")
    page.press("input[name='where']", "Enter")
    wait_rows(page, 1)
    assert row_names(page) == ["alpha"]
    page.fill("input[name='where']", "lr>0.01")
    page.press("input[name='where']", "Enter")
    page.wait_for_function(
        "() => document.querySelector('table.runs tbody td.name a')?.textContent === 'beta'"
    )
    assert row_names(page) == ["beta"]


def test_a_bad_filter_says_why_and_shows_no_rows(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    page.fill("input[name='where']", "lr<")
    page.press("input[name='where']", "Enter")
    error = page.locator("p.error")
    error.wait_for()
    assert "invalid query at column 4: expected a value after '<'" in error.inner_text()
    wait_rows(page, 0)


def test_selected_runs_open_the_compare_page(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    assert page.locator("button.primary").is_disabled()
    page.check(f"tr[data-run='{served.runs['alpha']}'] input[type=checkbox]")
    page.check(f"tr[data-run='{served.runs['beta']}'] input[type=checkbox]")
    page.click("button.primary")
    page.wait_for_function("() => location.hash.startsWith('#/compare')")
    assert page.evaluate("() => location.hash") == (
        f"#/compare?runs={served.runs['alpha']},{served.runs['beta']}"
    )
    page.locator("h1", has_text="Compare 2 runs").wait_for()


def test_a_long_table_loads_more_rows_as_it_scrolls(served: Served, page: Any) -> None:
    from tests.cli.helpers import write_run

    for i in range(105):
        write_run(served.store, name=f"sweep-{i:03d}", metrics=[{"acc": i / 130}])
    page.goto(served.base + "/")
    page.wait_for_function(
        "() => document.querySelector('.count')?.textContent === '100 of 108 runs'"
    )
    page.locator(".sentinel").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('.count').textContent === '108 of 108 runs'"
    )
    names = row_names(page)
    assert len(names) == len(set(names)) == 108
