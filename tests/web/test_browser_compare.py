"""The Compare page in a real Chromium: N runs overlaid per metric, and the config diff."""

from __future__ import annotations

from typing import Any

from tests.web.browser import DEMO_RUNS, chart_state, painted_pixels

NAMES = [spec.name for spec in DEMO_RUNS]


def open_compare(page: Any, base: str, runs: dict[str, str], names: list[str]) -> None:
    page.goto(f"{base}/#/compare?runs={','.join(runs[n] for n in names)}")
    page.locator("h1", has_text=f"Compare {len(names)} runs").wait_for()


def test_every_run_is_one_series_of_each_metric_chart(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_compare(page, base, runs, NAMES)
    loss = chart_state(page, "compare:loss")
    assert loss["labels"] == NAMES
    drawn = [sum(v is not None for v in ys) for ys in loss["ys"]]
    assert drawn[:4] == [300, 300, 300, 300]
    assert loss["nonfinite"] == 4  # the diverged run's inf, then NaN
    assert painted_pixels(page, "figure[data-key='loss']") > 2000
    assert page.locator("ul.legend li a").all_inner_texts() == NAMES


def test_runs_logged_at_different_steps_share_one_x_axis(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_compare(page, base, runs, ["baseline", "lr-3e-2"])
    acc = chart_state(page, "compare:acc")
    assert len(acc["x"]) == 300
    baseline, diverged = acc["ys"]
    assert all(v is not None for v in baseline)
    assert sum(v is not None for v in diverged) == 169  # it stopped after step 168


def test_the_config_table_highlights_what_differs(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_compare(page, base, runs, ["baseline", "lr-3e-4", "wide-512"])
    config = page.locator("section.diff", has_text="Config")
    differing = config.locator("tr.differs th").all_inner_texts()
    assert differing == ["lr", "model.width", "optim.lr", "width"]
    assert config.locator("tr[data-key='optim.lr'] td").all_inner_texts() == [
        "0.001",
        "3e-4",
        "0.001",
    ]
    assert config.locator("tr[data-key='batch_size']").get_attribute("class") == ""
    config.locator("input[type=checkbox]").check()
    page.wait_for_function(
        "() => document.querySelector('section.diff').querySelectorAll('tbody tr').length === 4"
    )


def test_the_x_axis_choice_applies_to_every_overlay(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_compare(page, base, runs, ["baseline", "lr-3e-4"])
    chart_state(page, "compare:acc")
    page.select_option("select[name='x']", "time")
    page.wait_for_function("() => window.__runar.charts['compare:acc']?.series[0].label === 'time'")
    xs = chart_state(page, "compare:acc")["x"]
    assert 1_767_258_000 < xs[0] < xs[-1] < 1_767_258_000 + 3600  # Unix seconds of the demo day
