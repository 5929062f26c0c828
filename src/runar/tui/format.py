"""How the dashboard spells values: durations, sizes, ages, numbers and status glyphs."""

from __future__ import annotations

from runar import display
from runar.display import (  # noqa: F401  re-exported: the widgets spell values with them
    DATE_AFTER_S,
    NS,
    SIGNIFICANT_DIGITS,
    SIZE_UNITS,
    STATUS_GLYPHS,
    clock,
    duration,
    number,
    signed,
    size,
    status_markup,
)


def ago(ts_ns: int | None, now_s: float) -> str:
    """'just now', '5m ago', … against the dashboard's (injectable) clock in seconds."""
    return display.ago(ts_ns, int(now_s * NS))
