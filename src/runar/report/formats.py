"""The results table as Markdown, CSV and an HTML fragment (LaTeX is latex.py)."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Final

from runar.report.table import Cell, Number, ResultTable, format_number

ARROWS: Final = ("↑", "↓")
EMPTY_CELL: Final = "—"
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]<>|#~$&])")


def plain(number: Number) -> str:
    """``0.912 ± 0.004``, or ``(1.20 ± 0.03)e-5`` with a shared exponent."""
    body = number.mean if number.std is None else f"{number.mean} ± {number.std}"
    if number.exponent is not None:
        body = f"({body})e{number.exponent}" if number.std else f"{body}e{number.exponent}"
    return body


def _text(c: Cell) -> str | None:
    return None if c.mean is None else plain(format_number(c.mean, c.std))


def markdown_escape(text: str) -> str:
    """Text that renders as itself in a Markdown table cell."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown(table: ResultTable) -> str:
    """A GitHub/pandoc pipe table; the best cells in bold, the caption as pandoc's ``Table:``."""
    header = [markdown_escape(table.group_title), "n"]
    header += [
        f"{markdown_escape(k)} {ARROWS[int(low)]}"
        for k, low in zip(table.metrics, table.lower_better, strict=True)
    ]
    lines = ["| " + " | ".join(header) + " |", "| --- | ---: |" + " :---: |" * len(table.metrics)]
    for row in table.rows:
        cells = [markdown_escape(row.label), str(row.runs)]
        for c in row.cells:
            text = _text(c)
            if text is None:
                cells.append(EMPTY_CELL)
                continue
            text = f"**{text}**" if c.best else text
            cells.append(text if c.n == row.runs else f"{text} (n={c.n})")
        lines.append("| " + " | ".join(cells) + " |")
    if table.caption:
        lines += ["", f"Table: {markdown_escape(table.caption)}"]
    return "\n".join(lines) + "\n"


def csv_text(table: ResultTable) -> str:
    """Machine-readable: full-precision mean, std and n per metric, and which group is best."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [table.group_title, "runs"]
    for key in table.metrics:
        header += [f"{key} mean", f"{key} std", f"{key} n", f"{key} best"]
    writer.writerow(header)
    for row in table.rows:
        record: list[object] = [row.label, row.runs]
        for c in row.cells:
            record += [
                "" if c.mean is None else repr(c.mean),
                "" if c.std is None else repr(c.std),
                c.n,
                "true" if c.best else "false",
            ]
        writer.writerow(record)
    return out.getvalue()


def html_table(table: ResultTable) -> str:
    """An HTML ``<table>`` fragment; every piece of text escaped."""
    esc = html.escape
    head = [esc(table.group_title), "n"]
    head += [
        f"{esc(k)} {ARROWS[int(low)]}"
        for k, low in zip(table.metrics, table.lower_better, strict=True)
    ]
    ident = f' id="{esc(table.label)}"' if table.label else ""
    lines = [f'<table class="runar-results"{ident}>']
    if table.caption:
        lines.append(f"<caption>{esc(table.caption)}</caption>")
    lines.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
    lines.append("<tbody>")
    for row in table.rows:
        cells = [f"<th>{esc(row.label)}</th>", f"<td>{row.runs}</td>"]
        for c in row.cells:
            text = _text(c)
            if text is None:
                cells.append(f"<td>{EMPTY_CELL}</td>")
                continue
            shown = f"<b>{esc(text)}</b>" if c.best else esc(text)
            if c.n != row.runs:
                shown += f" <small>(n={c.n})</small>"
            cells.append(f"<td>{shown}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines) + "\n"
