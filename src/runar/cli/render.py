"""Shared formatting for the commands: durations, sizes, ages, status glyphs, JSON, tables.

Only the standard library and msgspec at import; rich is loaded by the functions
that draw with it, so `runar ls --json` never pays for it.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final

import msgspec

if TYPE_CHECKING:
    from rich.console import Console

    from runar.views.summary import RunSummary

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
MIN_FLEX_WIDTH: Final = 6
PIPE_WIDTH: Final = 10_000  # tables are as wide as their content; this only lifts the cap
DATE_AFTER_S: Final = 30 * 86400  # older than this, "5w ago" reads worse than a date

_json = msgspec.json.Encoder()


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


def run_seconds(summary: RunSummary, status: str, now_ns: int | None = None) -> float | None:
    """How long the run lasted, or has lasted so far; a crashed run ends at its last event."""
    start = summary.created_ts
    if not start:
        return None
    if summary.ended_ts is not None:
        end = summary.ended_ts
    elif status == "running":
        end = time.time_ns() if now_ns is None else now_ns
    else:
        end = summary.last_ts
    return max(0, end - start) / NS


def key_metrics(metric_sets: Iterable[Iterable[str]], limit: int = MAX_KEY_METRICS) -> list[str]:
    """The metric keys most runs share, most common first, then by name."""
    counts: Counter[str] = Counter()
    for keys in metric_sets:
        counts.update(set(keys))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [key for key, _ in ranked[:limit]]


def json_default(value: object) -> object:
    """Fallback for values msgspec cannot encode (sets, paths): their text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def print_json(record: Any) -> None:
    """One JSON document on stdout, newline-terminated."""
    body = msgspec.json.encode(record, enc_hook=json_default)
    sys.stdout.write(msgspec.json.format(body, indent=2).decode() + "\n")
    sys.stdout.flush()


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr); unbounded width when piped, so nothing is cut."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


Cell = str | tuple[str, str]  # plain text, or (text, style name from ANSI)


def text_width(text: str) -> int:
    """Terminal columns a string takes: wide East Asian characters count twice."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _clip(text: str, width: int) -> str:
    if text_width(text) <= width:
        return text
    while text and text_width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    right: Iterable[int] = (),
    flexible: Iterable[int] = (),
    out: Any = None,
) -> None:
    """A borderless table; on a narrow terminal only the ``flexible`` columns are clipped.

    Drawn by hand rather than with rich: `runar ls` must start fast, and rich's import
    and layout cost more than the whole listing.
    """
    import shutil

    out = out or sys.stdout
    colour = wants_colour(out)
    cells = [[c if isinstance(c, tuple) else (c, "") for c in row] for row in rows]
    widths = [
        max([text_width(h), *(text_width(row[i][0]) for row in cells)])
        for i, h in enumerate(headers)
    ]
    if hasattr(out, "isatty") and out.isatty():
        excess = sum(widths) + 2 * (len(widths) - 1) - shutil.get_terminal_size().columns
        for i in flexible:
            if excess <= 0:
                break
            cut = min(excess, max(0, widths[i] - MIN_FLEX_WIDTH))
            widths[i] -= cut
            excess -= cut
    aligned = set(right)

    def line(row: Sequence[tuple[str, str]]) -> str:
        parts = []
        for i, (text, style) in enumerate(row):
            text = _clip(text, widths[i])
            pad = " " * (widths[i] - text_width(text))
            shown = paint(text, style, colour) if style else text
            parts.append(pad + shown if i in aligned else shown + pad)
        return "  ".join(parts).rstrip()

    lines = [line([(h, "bold") for h in headers])]
    lines.append(paint("─" * (sum(widths) + 2 * (len(widths) - 1)), "dim", colour))
    lines += [line(row) for row in cells]
    out.write("\n".join(lines) + "\n")
    out.flush()


def status_cell(status: str) -> tuple[str, str]:
    """Glyph and word in the status colour, as a table cell."""
    return status_text(status), STATUS_GLYPHS.get(status, ("?", ""))[1]


def escape(text: str) -> str:
    """Text shown inside rich markup, its square brackets made literal."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


ANSI: Final = {
    "dim": "2",
    "bold": "1",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
}


def wants_colour(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    import os

    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, style: str, enabled: bool) -> str:
    """Text wrapped in an ANSI style when colour is on (for output written without rich)."""
    if not enabled or style not in ANSI:
        return text
    return f"\x1b[{ANSI[style]}m{text}\x1b[0m"
