"""Read the lines of printed tables (pure, no I/O); the stream puts a table's lines together.

Two shapes, with real examples:

    | rollout/            |          |      stable-baselines3: a boxed block, one row a line,
    |    ep_rew_mean      | 22.4     |      sections ending in "/" (→ rollout/ep_rew_mean)

    Iter       Train Loss   Remaining Time     a header of columns two spaces apart, its
       1           1.1461            0.02s     first the step (iter, epoch, step), then rows
    epoch     train_loss  valid_loss  time     of numbers (scikit-learn's gradient boosting,
    0         0.523400    0.412300    00:01    fastai)
    E    #       LOSS TOK2VEC  LOSS NER        spaCy: the epoch, then the step ("#")
    ---  ------  ------------  --------
     10      20          1.11    756.52

A row of numbers alone says nothing: which header it belongs to is the stream's business
(``views/output_metrics.py``). Columns that are ETAs (``Remaining Time``) and cells that
are not numbers (``00:01``, ``#na#``) are skipped.
"""

from __future__ import annotations

import re
from typing import Final

_NUM: Final = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_BOX_ROW = re.compile(r"^\|(?P<indent>\s*)(?P<key>[^|\s][^|]*?)\s*\|\s*(?P<value>[^|]*?)\s*\|$")
_BOX_VALUE = re.compile(rf"^(?:{_NUM})$", re.IGNORECASE)
_COLUMN_SPLIT = re.compile(r"\s{2,}")
_HEADER_START = re.compile(r"^(?:iter|iteration|epoch|step|E\s{2,}#)\s{2,}\S", re.IGNORECASE)
_COLUMN_NAME = re.compile(r"^(?:#|[A-Za-z_][\w./-]*(?: [A-Za-z_][\w./-]*){0,2})$")
_CELL = re.compile(rf"^(?:(?P<value>{_NUM})(?P<unit>ms|s)?|\d+:\d{{2}}(?::\d{{2}})?|#na#)$")
STEP_COUNTER: Final = "#"  # spaCy's step column; its "E" before it is the epoch, a value
SPACY_EPOCH: Final = "epoch"
ETA_COLUMNS: Final = frozenset({"remaining_time", "remaining", "eta", "time_left"})

BoxRow = tuple[str, float | None, bool]  # (key, value, indented): a section has no value


def read_box_row(text: str) -> BoxRow | None:
    """A row of stable-baselines3's boxed table: ``|    ep_rew_mean | 22.4 |``."""
    if text.count("|") != 3:
        return None
    row = _BOX_ROW.match(text)
    if row is None:
        return None
    key, value = row["key"], row["value"]
    if not value:
        return (key, None, False) if key.endswith("/") else None
    if _BOX_VALUE.match(value) is None:
        return None  # a string value: settings, not a curve
    return key, float(value), bool(row["indent"])


def read_header(text: str) -> tuple[str, ...] | None:
    """The column names of a table header whose first column is the step, else None."""
    if _HEADER_START.match(text) is None:
        return None
    columns = _COLUMN_SPLIT.split(text)
    if any(_COLUMN_NAME.match(name) is None for name in columns):
        return None
    return tuple("_".join(name.lower().split()) for name in columns)


def read_row(text: str) -> tuple[str, ...] | None:
    """The cells of a row of numbers whose first cell is a whole number, else None."""
    cells = text.split()
    if len(cells) < 2 or not cells[0].isdigit():
        return None
    if any(_CELL.match(cell) is None for cell in cells[1:]):
        return None
    return tuple(cells)


def row_values(
    columns: tuple[str, ...], cells: tuple[str, ...]
) -> tuple[int, dict[str, float]] | None:
    """(step, values) of a row under its header; the caller checks that the widths agree."""
    at = columns.index(STEP_COUNTER) if STEP_COUNTER in columns else 0
    if not cells[at].isdigit():
        return None
    step = int(cells[at])
    values: dict[str, float] = {}
    for index, (name, cell) in enumerate(zip(columns, cells, strict=True)):
        found = _CELL.match(cell)
        if index == at or name in ETA_COLUMNS or found is None or found["value"] is None:
            continue
        name = SPACY_EPOCH if name == "e" else name
        key = f"{name}_{found['unit']}" if found["unit"] else name
        values[key] = float(found["value"])
    return step, values
