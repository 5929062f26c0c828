"""Literal values of the query language: durations with units, globs, numbers.

Plain text in, plain values out; views/query.py decides what they mean for each field.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from runar.views.query_syntax import Value, query_error

UNITS_S: Final = {
    "ms": 0.001, "s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600,
    "hr": 3600, "hrs": 3600, "d": 86400, "day": 86400, "days": 86400, "w": 604800,
    "wk": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_DURATION: Final = re.compile(r"(?:(\d+(?:\.\d+)?)([a-z]+))+")
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")
REGEX_META: Final = frozenset("\\.+*?()|[]{}^$#&-~")
NS: Final = 1_000_000_000


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


def moment(query: str, value: Value, now_ns: int) -> tuple[int, bool]:
    """A date or time in ns (local time), and whether it names a whole day.

    ``today``, ``yesterday``, ``now`` or ISO 8601 (``2026-11-01``, ``2026-11-01T14:30``);
    anything else is an InvalidQuery pointing at the value of ``query``.
    """
    text = value.text.strip().lower()
    today = datetime.fromtimestamp(now_ns / NS).replace(hour=0, minute=0, second=0, microsecond=0)
    if text in ("today", "yesterday"):
        day = today - timedelta(days=1 if text == "yesterday" else 0)
        return int(day.timestamp()) * NS, True
    if text == "now":
        return now_ns, False
    try:
        parsed = datetime.fromisoformat(value.text.strip())
    except ValueError:
        raise query_error(
            query,
            value.pos,
            f"'{value.text}' is not a time; use 2d ago, 2026-11-01, '2026-11-01 14:30' or today",
        ) from None
    whole_day = len(text) == 10
    return int(parsed.timestamp() * 1e6) * 1000, whole_day
