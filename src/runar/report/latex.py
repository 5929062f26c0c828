"""The results table as booktabs LaTeX, written by hand.

Table libraries escape ``\\pm`` into text and drop bold, so the markup is ours: every
piece of user text (group values, metric names, caption) goes through ``escape``, and
numbers are the only thing inside ``$…$``. Needs ``\\usepackage{booktabs}``.
"""

from __future__ import annotations

import re
from typing import Final

from runar.report.table import Cell, Number, ResultTable, format_number

SPECIALS: Final = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",  # OT1 fonts print ¡ and ¿ for a bare < and >
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}
_SPECIAL: Final = re.compile("|".join(re.escape(c) for c in SPECIALS))
_LABEL_UNSAFE: Final = re.compile(r"[^A-Za-z0-9:._/+-]")
EMPTY_CELL: Final = "--"
ARROWS: Final = (r"$\uparrow$", r"$\downarrow$")


def escape(text: str) -> str:
    """Plain text → LaTeX that typesets the same characters."""
    return _SPECIAL.sub(lambda m: SPECIALS[m.group()], text)


def safe_label(label: str) -> str:
    """A \\label key: anything outside letters, digits and ``:._/+-`` becomes ``-``."""
    return _LABEL_UNSAFE.sub("-", label)


def _math(number: Number) -> str:
    body = number.mean if number.std is None else rf"{number.mean} \pm {number.std}"
    if number.exponent is not None:
        body = body if number.std is None else f"({body})"
        body = rf"{body} \times 10^{{{number.exponent}}}"
    return f"${body}$"


def cell(c: Cell, runs: int) -> str:
    """One cell: ``$0.912 \\pm 0.004$``, bold when best, with its n when it differs."""
    if c.mean is None:
        return EMPTY_CELL
    text = _math(format_number(c.mean, c.std))
    if c.best:
        text = rf"\textbf{{\boldmath{text}}}"  # \boldmath: \textbf alone leaves math upright
    if c.n != runs:
        text += rf" {{\scriptsize ($n={c.n}$)}}"
    return text


def render(table: ResultTable) -> str:
    """The full ``table`` environment: caption, label, booktabs rules."""
    header = [escape(table.group_title), "$n$"]
    header += [
        f"{escape(key)} {ARROWS[int(low)]}"
        for key, low in zip(table.metrics, table.lower_better, strict=True)
    ]
    lines = [
        r"\begin{table}[t]",
        r"\centering",
    ]
    if table.caption:
        lines.append(rf"\caption{{{escape(table.caption)}}}")
    if table.label:
        lines.append(rf"\label{{{safe_label(table.label)}}}")
    lines += [
        rf"\begin{{tabular}}{{lr{'c' * len(table.metrics)}}}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    for row in table.rows:
        cells = [escape(row.label), str(row.runs), *(cell(c, row.runs) for c in row.cells)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"
