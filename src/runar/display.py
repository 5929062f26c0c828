"""How runar spells values for people: durations, sizes, ages, numbers, status glyphs.

Shared by the command line and the dashboard; standard library only, no I/O.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Final

NS: Final = 1_000_000_000
STATUS_GLYPHS: Final = {
    "completed": ("✓", "green"),
    "running": ("●", "cyan"),
    "failed": ("✗", "red"),
    "killed": ("☠", "red"),
    "crashed": ("☠", "magenta"),
}
SIZE_UNITS: Final = ("B", "KB", "MB", "GB", "TB", "PB")
SIGNIFICANT_DIGITS: Final = 4
MAX_KEY_METRICS: Final = 4
DATE_AFTER_S: Final = 30 * 86400  # older than this, "5w ago" reads worse than a date


def duration(seconds: float | None) -> str:
    """'850ms', '42s', '2m 15s', '1h 03m', '2d 4h'; '—' when unknown."""
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def size(n: int | None) -> str:
    """Bytes for people: '420 MB', '1.5 GB' (powers of 1000, as file managers show)."""
    if n is None:
        return "—"
    value = float(n)
    for unit in SIZE_UNITS:
        if abs(value) < 1000 or unit == SIZE_UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # unreachable: the loop returns at the last unit


def ago(ts_ns: int | None, now_ns: int | None = None) -> str:
    """'just now', '5m ago', '3h ago', '2d ago', or a date for old runs."""
    if not ts_ns:
        return "—"
    now_ns = time.time_ns() if now_ns is None else now_ns
    delta = max(0.0, (now_ns - ts_ns) / NS)
    if delta < 10:
        return "just now"
    if delta < 60:
        return f"{int(delta)}s ago"
    if delta < 3600:
        return f"{int(delta // 60)}m ago"
    if delta < 86400:
        return f"{int(delta // 3600)}h ago"
    if delta < DATE_AFTER_S:
        return f"{int(delta // 86400)}d ago"
    return datetime.fromtimestamp(ts_ns / NS).strftime("%Y-%m-%d")


def iso(ts_ns: int | None) -> str | None:
    """UTC ISO-8601 timestamp for machine output."""
    if not ts_ns:
        return None
    return datetime.fromtimestamp(ts_ns / NS, tz=timezone.utc).isoformat(timespec="milliseconds")


def clock(ts_ns: int | None) -> str:
    """Local wall-clock time with date, for people."""
    if not ts_ns:
        return "—"
    return datetime.fromtimestamp(ts_ns / NS).strftime("%Y-%m-%d %H:%M:%S")


def number(value: float | None) -> str:
    """A metric value with four significant digits; NaN and ±inf spelled out."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


def signed(value: float) -> str:
    """A delta with its sign; a true minus sign as people write it."""
    text = number(abs(value))
    if math.isnan(value):
        return "nan"
    return ("+" if value >= 0 else "−") + text


def status_text(status: str) -> str:
    """Glyph and word: '✓ completed'."""
    glyph, _ = STATUS_GLYPHS.get(status, ("?", "white"))
    return f"{glyph} {status}"


def status_markup(status: str) -> str:
    """Glyph and word in the status colour, as rich markup."""
    _, colour = STATUS_GLYPHS.get(status, ("?", "white"))
    return f"[{colour}]{status_text(status)}[/]"


def key_metrics(metric_sets: Iterable[Iterable[str]], limit: int = MAX_KEY_METRICS) -> list[str]:
    """The metric keys most runs share, most common first, then by name."""
    counts: Counter[str] = Counter()
    for keys in metric_sets:
        counts.update(set(keys))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [key for key, _ in ranked[:limit]]
