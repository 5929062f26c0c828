import io

import pytest

from runar.cli import render


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.85, "850ms"), (4.25, "4.2s"), (42, "42s"), (135, "2m 15s"),
     (3780, "1h 03m"), (2 * 86400 + 4 * 3600, "2d 4h")],
)  # fmt: skip
def test_duration(seconds: float | None, text: str) -> None:
    assert render.duration(seconds) == text


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 B"), (999, "999 B"), (5_000, "5.0 KB"), (420_000_000, "420 MB")]
)
def test_size(n: int, text: str) -> None:
    assert render.size(n) == text


def test_ago() -> None:
    now = 10_000 * render.NS
    assert render.ago(now - 5 * render.NS, now) == "just now"
    assert render.ago(now - 300 * render.NS, now) == "5m ago"
    assert render.ago(now - 3 * 3600 * render.NS, now) == "3h ago"


def test_numbers_keep_four_significant_digits_and_non_finite_words() -> None:
    assert render.number(0.891234) == "0.8912"
    assert render.number(3.0) == "3"
    assert render.number(float("nan")) == "nan"
    assert render.number(float("-inf")) == "-inf"
    assert render.signed(-0.044) == "−0.044"


def test_key_metrics_prefers_shared_keys() -> None:
    keys = render.key_metrics([{"loss", "acc"}, {"loss"}, {"loss", "f1"}], limit=2)
    assert keys == ["loss", "acc"]


def test_table_aligns_columns_with_wide_glyphs() -> None:
    out = io.StringIO()
    render.print_table(["A", "B"], [["✓ x", "1"], ["日本", "22"]], right=(1,), out=out)
    lines = out.getvalue().splitlines()
    widths = {render.text_width(line) for line in (lines[0], lines[2], lines[3])}
    assert widths == {4 + 2 + 2}  # column A is 4 wide ("日本"), a 2-space gap, column B 2
    assert "\x1b[" not in out.getvalue()  # no colour off a terminal
