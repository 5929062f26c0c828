"""Literal values: durations with units and globs."""

from __future__ import annotations

from runar.views.query_values import glob_regex, seconds


def test_units_and_globs() -> None:
    assert seconds("90s") == 90
    assert seconds("1h30m") == 5400
    assert seconds("2d") == 172800
    assert seconds("500ms") == 0.5
    assert seconds("1.5h") == 5400
    assert seconds("12") == 12
    assert seconds("3 parsecs") is None
    assert seconds("4y") is None
    assert glob_regex("a.b*") == r"(?is)^a\.b.*$"


def test_globs_escape_what_regex_would_read() -> None:
    assert glob_regex("a(b)|c?") == r"(?is)^a\(b\)\|c.$"
    assert glob_regex("100%") == "(?is)^100%$"
