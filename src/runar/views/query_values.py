"""Literal values of the query language: durations with units, globs, numbers.

Plain text in, plain values out; views/query.py decides what they mean for each field.
"""

from __future__ import annotations

import re
from typing import Final

from runar.views.query_syntax import Value

UNITS_S: Final = {
    "ms": 0.001, "s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600,
    "hr": 3600, "hrs": 3600, "d": 86400, "day": 86400, "days": 86400, "w": 604800,
    "wk": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_DURATION: Final = re.compile(r"(?:(\d+(?:\.\d+)?)([a-z]+))+")
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")
REGEX_META: Final = frozenset("\\.+*?()|[]{}^$#&-~")


def glob_regex(pattern: str) -> str:
    """A case-insensitive, whole-string regex for a glob with * and ?."""
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append("\\" + char if char in REGEX_META else char)
    return "(?is)^" + "".join(out) + "$"


def seconds(text: str) -> float | None:
    """``90s``, ``1h30m``, ``2d``, ``1.5h`` or a plain number of seconds; None if not one."""
    lowered = text.strip().lower()
    try:
        return float(lowered)
    except ValueError:
        pass
    if not _DURATION.fullmatch(lowered):
        return None
    total = 0.0
    for amount, unit in _DURATION_PART.findall(lowered):
        if unit not in UNITS_S:
            return None
        total += float(amount) * UNITS_S[unit]
    return total


def number(value: Value) -> float | None:
    """The value as a number, unless it was quoted or is not one."""
    if value.quoted:
        return None
    try:
        return float(value.text)
    except ValueError:
        return None
