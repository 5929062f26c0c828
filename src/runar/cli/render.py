"""Shared formatting for the commands: durations, sizes, ages, status glyphs, JSON, tables.

Only the standard library and msgspec at import; rich is loaded by the functions
that draw with it, so `runar ls --json` never pays for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from runar.display import (  # noqa: F401  re-exported: the commands spell values with them
    NS,
    STATUS_GLYPHS,
    ago,
    clock,
    duration,
    iso,
    key_metrics,
    number,
    signed,
    size,
    status_markup,
    status_text,
)
from runar.views.liveness import run_seconds  # noqa: F401

if TYPE_CHECKING:
    from rich.console import Console


MIN_FLEX_WIDTH: Final = 6
PIPE_WIDTH: Final = 10_000  # tables are as wide as their content; this only lifts the cap

_json = msgspec.json.Encoder()


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
