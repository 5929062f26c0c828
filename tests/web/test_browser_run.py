"""The Run page in a real Chromium: overview, charts actually drawn, steps, artifacts, logs."""

from __future__ import annotations

from typing import Any

from tests.web.browser import chart_state, painted_pixels
from tests.web.conftest import Served


def open_tab(page: Any, base: str, run_id: str, tab: str) -> None:
    page.goto(f"{base}/#/run/{run_id}?tab={tab}")
    page.locator(".tabs a.active", has_text=tab.capitalize()).wait_for()


def test_the_overview_shows_command_config_and_error(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/{served.runs['beta']}")
    page.locator("h1", has_text="beta").wait_for()
    assert page.locator(".run-head .status").inner_text() == "failed"
    assert page.locator("p.run-error").first.inner_text() == "ValueError: bad shape"
    assert "train.py --epochs 2" in page.locator("pre.command").inner_text()
    assert page.locator("ul.tree").inner_text().split() == ["epochs", "2", "lr", "0.1"]


def test_a_run_is_found_by_its_name_as_on_the_command_line(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/alpha")
    page.locator("h1", has_text="alpha").wait_for()
    assert page.locator(".run-head .id").inner_text() == served.runs["alpha"]


def test_an_unknown_run_says_so(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/#/run/nosuchrun")
    assert "nosuchrun" in page.locator("p.error").inner_text()


def test_metric_charts_are_drawn_with_every_point(served: Served, page: Any) -> None:
    open_tab(page, served.base, served.runs["alpha"], "metrics")
    acc = chart_state(page, "metric:acc")
    assert acc["labels"] == ["acc"]
    assert acc["ys"] == [[0.5, 0.7]]
    assert painted_pixels(page, "figure[data-key='acc']") > 500


def test_a_nan_point_is_a_gap_marked_on_the_chart(served: Served, page: Any) -> None:
    open_tab(page, served.base, served.runs["alpha"], "metrics")
    loss = chart_state(page, "metric:loss")
    assert loss["ys"] == [[1.0, None]]
    assert loss["nonfinite"] == 1
    assert "1 non-finite" in page.locator("figure[data-key='loss'] figcaption").inner_text()


def test_log_scale_and_smoothing_redraw_the_charts(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "metrics")
    assert chart_state(page, "metric:loss")["labels"] == ["loss"]
    page.check("input[name='log']")
    page.wait_for_function("() => window.__runar.charts['metric:loss'].scales.y.distr === 3")
    page.fill("input[name='smoothing']", "0.9")
    page.wait_for_function("() => window.__runar.charts['metric:loss'].series.length === 3")
    smoothed = chart_state(page, "metric:loss")
    assert smoothed["labels"] == ["loss", "loss (smoothed)"]
    raw, ema = smoothed["ys"]
    assert len(raw) == len(ema) == 300
    assert max(abs(a - b) for a, b in zip(raw[1:], raw[:-1], strict=True)) > max(
        abs(a - b) for a, b in zip(ema[1:], ema[:-1], strict=True)
    )


def test_relative_time_puts_the_first_point_at_zero(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "metrics")
    page.select_option("select[name='x']", "relative")
    page.wait_for_function(
        "() => window.__runar.charts['metric:acc']?.series[0].label === 'elapsed'"
    )
    xs = chart_state(page, "metric:acc")["x"]
    assert xs[0] == 0 and xs[-1] > 100


def test_dragging_across_a_chart_zooms_it(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "metrics")
    chart_state(page, "metric:acc")
    over = page.locator("figure[data-key='acc'] .u-over").bounding_box()
    y = over["y"] + over["height"] / 2
    page.mouse.move(over["x"] + over["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(over["x"] + over["width"] * 0.5, y, steps=5)
    page.mouse.up()
    page.wait_for_function("() => window.__runar.charts['metric:acc'].runar.zoomed")
    scale = page.evaluate("() => window.__runar.charts['metric:acc'].scales.x")
    assert 50 < scale["min"] < scale["max"] < 200


def test_the_steps_timeline_lists_steps_with_their_artifacts(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "steps")
    steps = page.locator("li.step")
    steps.first.wait_for()
    assert steps.locator(".step-name").all_inner_texts() == ["prepare data", "train", "evaluate"]
    evaluate = page.locator("li.step[data-step='eval']")
    assert evaluate.locator(".status").inner_text() == "completed"
    assert evaluate.locator(".step-artifacts a").all_inner_texts() == [
        "confusion.png",
        "report.json",
    ]
    bars = [
        page.locator(f"li.step[data-step='{s}'] .step-bar").bounding_box()
        for s in ("prep", "train", "eval")
    ]
    assert bars[0]["x"] < bars[1]["x"] < bars[2]["x"]
    assert bars[1]["width"] > bars[0]["width"]


def test_a_failed_step_shows_its_error(demo_served: tuple[str, dict[str, str]], page: Any) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["lr-3e-2"], "steps")
    train = page.locator("li.step[data-step='train']")
    assert train.locator(".status").inner_text() == "failed"
    assert "FloatingPointError: loss is nan" in train.locator(".run-error").inner_text()


def test_artifacts_preview_images_and_pretty_print_json(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    page.goto(f"{base}/#/run/{runs['baseline']}?tab=artifacts&name=report.json")
    pre = page.locator("pre.artifact-text.json")
    pre.wait_for()
    assert pre.inner_text().splitlines()[0] == "{"
    assert '"skipped": 12' in pre.inner_text()
    page.click("button.link:text-is('confusion.png')")
    page.wait_for_function(
        """() => {
            const img = document.querySelector('img.artifact-image');
            return img && img.complete && img.naturalWidth === 96;
        }"""
    )
    href = page.locator(".preview a.button").get_attribute("href")
    assert href.endswith("/artifacts/confusion.png")


def test_logs_show_both_streams_in_colour_and_search_them(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "logs")
    lines = page.locator(".log .line")
    lines.first.wait_for()
    assert lines.first.inner_text().split("\n")[-1].startswith("loading CIFAR-10: 50000 train")
    assert "\x1b" not in page.locator(".log").inner_text()
    colour = page.locator(".log .line", has_text="epoch 1").first.locator(".text > span").first
    assert colour.inner_text() == "epoch 1"
    assert colour.evaluate("e => getComputedStyle(e).color") == "rgb(74, 222, 128)"
    assert page.locator(".log .line.stderr").count() == 1
    page.fill("input[name='search']", "step 200")
    page.wait_for_function("() => document.querySelectorAll('.log .line').length === 1")
    assert page.locator(".log mark").inner_text() == "step 200"


def test_the_system_tab_charts_cpu_and_memory(
    demo_served: tuple[str, dict[str, str]], page: Any
) -> None:
    base, runs = demo_served
    open_tab(page, base, runs["baseline"], "system")
    cpu = chart_state(page, "system:cpu")
    assert len(cpu["x"]) == 60
    assert all(60 <= v <= 90 for v in cpu["ys"][0])
    assert painted_pixels(page, "figure[data-key='rss']") > 500
