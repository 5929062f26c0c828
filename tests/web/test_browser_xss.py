"""Hostile strings in a real Chromium: names, tags, notes, config keys and log lines that carry
<script> and "><img onerror=...> render as text; nothing runs and no element is injected.

The ``page`` fixture fails any test in which the page opened a dialog or threw.
"""

from __future__ import annotations

from typing import Any

from runar.events import NoteAdded
from runar.journal import JournalWriter
from tests.web.browser import wait_rows
from tests.web.conftest import XSS, Served

NO_INJECTED = "() => document.querySelectorAll('img[src=\"x\"], #app script').length"


def test_the_runs_table_shows_hostile_names_and_tags_as_text(served: Served, page: Any) -> None:
    page.goto(served.base + "/")
    wait_rows(page, 3)
    row = page.locator(f"tr[data-run='{served.runs['xss']}']")
    assert row.locator("td.name a").inner_text() == XSS
    assert row.locator(".tag").inner_text() == XSS
    assert page.evaluate(NO_INJECTED) == 0


def test_the_run_page_shows_hostile_config_notes_and_output_as_text(
    served: Served, page: Any
) -> None:
    run_id = served.runs["xss"]
    writer = JournalWriter(served.store.run_dir(run_id), run_id, role="sdk")
    writer.append(NoteAdded(text=XSS))
    writer.close()
    page.goto(f"{served.base}/#/run/{run_id}")
    page.locator("h1").wait_for()
    assert page.locator("h1").inner_text() == XSS
    config = dict(
        zip(
            page.locator("ul.tree .key").all_inner_texts(),
            page.locator("ul.tree .val").all_inner_texts(),
            strict=True,
        )
    )
    assert config[XSS] == XSS
    page.locator("blockquote.note").wait_for()
    assert page.locator("blockquote.note").inner_text().endswith(XSS)
    page.click(".tabs a:text-is('Logs')")
    page.locator(".log .line").first.wait_for()
    assert page.locator(".log .line .text").first.inner_text() == XSS
    page.click(".tabs a:text-is('Metrics')")
    page.click(".tabs a:text-is('Steps')")
    page.locator("li.step").first.wait_for()
    assert page.evaluate(NO_INJECTED) == 0


def test_the_compare_page_shows_hostile_names_and_config_keys_as_text(
    served: Served, page: Any
) -> None:
    page.goto(f"{served.base}/#/compare?runs={served.runs['xss']},{served.runs['alpha']}")
    page.locator("ul.legend li").first.wait_for()
    assert page.locator("ul.legend li a").all_inner_texts() == [XSS, "alpha"]
    assert XSS in page.locator("section.diff tbody th").all_inner_texts()
    assert page.evaluate(NO_INJECTED) == 0
