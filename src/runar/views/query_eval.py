"""The query tree answered over plain columns (query_columns.py), without Polars.

`runar ls --where` is a short command: importing Polars alone costs twice its budget.
This is a second evaluator of query_syntax.py's tree with query.py's meaning, step for
step: the same fields, the same typing of values against columns, the same errors at
the same columns, NaN never true, a missing value never true, Polars' ordering of a NaN
literal (above every number). tests/views/test_query_eval.py checks that both give the
same runs and the same errors for random queries over random runs; front-ends that
already hold a Polars frame (frames, web, TUI) keep query.py's compilation.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from runar.errors import InvalidQuery
from runar.views.query_columns import TEXT_SUFFIX, Column, column_of, leaf_columns, sort_column
from runar.views.query_syntax import (
    And,
    Compare,
    Field,
    In,
    Node,
    Not,
    Or,
    Value,
    Word,
    parse,
    query_error,
)
from runar.views.query_values import NS, glob_regex, moment, number, seconds

Mask = list[bool]
_ORDERING: Final = ("<", "<=", ">", ">=")
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
# Polars orders a NaN literal above every number: x < NaN holds, x = NaN does not
_AGAINST_NAN: Final = {op: op in ("<", "<=", "!=") for op in _COMPARE}


def _search(pattern: str) -> Callable[[str], bool]:
    """glob_regex()'s pattern as Python reads Rust's: ``$`` is the very end, not before a \\n."""
    assert pattern.endswith("$")
    compiled = re.compile(pattern[:-1] + r"\Z")
    return lambda text: compiled.search(text) is not None


class _Evaluator:
    def __init__(self, text: str, columns: Mapping[str, Column], rows: int, now_ns: int) -> None:
        self.text = text
        self.columns = columns
        self.rows = rows
        self.now_ns = now_ns

    def error(self, pos: int, problem: str) -> InvalidQuery:
        return query_error(self.text, pos, problem)

    def none(self) -> Mask:
        return [False] * self.rows

    def node(self, node: Node) -> Mask:
        match node:
            case And(nodes=nodes):
                parts = [self.node(n) for n in nodes]
                return [all(row) for row in zip(*parts, strict=True)]
            case Or(nodes=nodes):
                parts = [self.node(n) for n in nodes]
                return [any(row) for row in zip(*parts, strict=True)]
            case Not(node=inner):
                return [not hit for hit in self.node(inner)]
            case Word(text=text):
                return self.word(text)
            case Compare(field=fld, op=op, value=value):
                return self.compare(fld, op, value)
            case In(field=fld, values=values):
                parts = [self.compare(fld, "=", v) for v in values]
                return [any(row) for row in zip(*parts, strict=True)]
        raise AssertionError(node)  # pragma: no cover - exhaustive

    def col(self, name: str) -> list[Any]:
        """A column's values; a column no run has (or only nulls) is all missing."""
        column = self.columns.get(name)
        if column is None or column.kind == "null":
            return [None] * self.rows
        return column.values

    def word(self, text: str) -> Mask:
        rows = zip(
            self.col("name"), self.col("id"), self.col("status"), self.col("tags"), strict=True
        )
        return [
            text in f"{name or ''} {run_id or ''} {status or ''} {' '.join(tags or ())}".lower()
            for name, run_id, status, tags in rows
        ]

    # -- fields ---------------------------------------------------------------------
    def compare(self, fld: Field, op: str, value: Value) -> Mask:
        """The rows where the condition holds; a missing value never does."""
        match fld.kind:
            case "status" | "project" | "sweep" | "git.branch":
                return self.text_compare(self.col(fld.kind), op, value, exact=True)
            case "name":
                return self.text_compare(self.col("name"), op, value, exact=False)
            case "id" | "git.commit":
                values = self.col(fld.kind)
                if op in (":", "=", "==", "!="):  # ids and commits are named by a prefix
                    prefix = value.text.lower()
                    hit = op != "!="
                    return [v is not None and v.lower().startswith(prefix) is hit for v in values]
                return self.text_compare(values, op, value, exact=False)
            case "tag":
                return self.tag(op, value)
            case "created":
                return self.created(fld, op, value)
            case "duration":
                amount = seconds(value.text)
                if amount is None or value.ago:
                    problem = f"'{value.text}' is not a duration; use 90s, 5m, 1h, 2d"
                    raise self.error(value.pos, problem)
                return self.ordered(self.col("duration"), op, amount, fld)
            case "leaf":
                return self.leaf(fld, op, value)
        column = column_of(fld)
        if column not in self.columns:
            return self.none()  # no run has that key
        return self.typed(column, fld, op, value)

    def leaf(self, fld: Field, op: str, value: Value) -> Mask:
        """``lr<1e-3``: every config or metric column whose key is or ends in ``lr``."""
        found = leaf_columns(self.columns, fld.key)
        parts = []
        refused: InvalidQuery | None = None
        for name in found:
            try:
                parts.append(self.typed(name, fld, op, value))
            except InvalidQuery as exc:
                refused = exc
        if not parts:
            if refused is not None:
                raise refused  # every column with that key holds another type
            return self.none()
        return [any(row) for row in zip(*parts, strict=True)]

    # -- typed comparisons ------------------------------------------------------------
    def typed(self, column: str, fld: Field, op: str, value: Value) -> Mask:
        """A config, metric or summary column against a value of the column's own type."""
        kind, values = self.columns[column].kind, self.columns[column].values
        label = fld.text or column
        if op == ":":
            op = "="
        if kind == "null":
            return self.none()
        if kind in ("int", "float"):
            amount = number(value)
            twin = column + TEXT_SUFFIX
            if (amount is None or op == "~") and twin in self.columns:
                return self.typed(twin, fld, op, value)
            if amount is None or op == "~":
                what = "a number" if op != "~" else "text for '~'"
                raise self.error(
                    value.pos,
                    f"{label} holds numbers; '{value.text}' is not {what}",
                )
            return self.ordered(values, op, amount, fld)
        if kind == "bool":
            flag = value.text.lower()
            if flag not in ("true", "false") or op not in ("=", "==", "!="):
                raise self.error(value.pos, f"{label} is true or false; compare it with = true")
            wanted = (flag == "true") is (op != "!=")
            return [v is not None and v is wanted for v in values]
        if kind == "tags":
            raise self.error(fld.pos, f"{label} holds lists; it cannot be compared")
        if op in _ORDERING and number(value) is not None:
            problem = f"{label} holds text; '{value.text}' is a number (quote it for text)"
            raise self.error(value.pos, problem)
        return self.text_compare(values, op, value, exact=True)

    def ordered(self, values: list[Any], op: str, amount: float, fld: Field) -> Mask:
        """A numeric comparison in which NaN and a missing value are never true."""
        if op == ":":
            op = "="
        if op == "~":
            raise self.error(fld.pos, f"'~' matches text; {fld.text} holds numbers")
        if amount != amount:  # a NaN literal
            holds = _AGAINST_NAN[op]
            return [v is not None and v == v and holds for v in values]
        test = _COMPARE[op]
        if isinstance(amount, float):  # Polars compares whole numbers with a float as floats
            return [v is not None and v == v and test(float(v), amount) for v in values]
        return [v is not None and v == v and test(v, amount) for v in values]

    def text_compare(self, values: list[Any], op: str, value: Value, exact: bool) -> Mask:
        """Text, ignoring case: ``=`` equal (a glob when it has * or ?), ``~`` and ``:`` contain."""
        wanted = value.text.lower()
        if op in _ORDERING:
            test = _COMPARE[op]
            return [v is not None and test(v.lower(), wanted) for v in values]
        if "*" in wanted or "?" in wanted:
            return self._holds(values, _search(glob_regex(wanted)), op)
        if op == "~" or (op == ":" and not exact):
            return self._holds(values, lambda v: wanted in v, op)
        return self._holds(values, lambda v: v == wanted, op)

    @staticmethod
    def _holds(values: list[Any], hit: Callable[[str], bool], op: str) -> Mask:
        """``hit`` of each lowered value, negated for ``!=``; a missing value never holds."""
        want = op != "!="
        return [v is not None and hit(v.lower()) is want for v in values]

    def tag(self, op: str, value: Value) -> Mask:
        tags = self.col("tags")
        wanted = value.text.lower()
        if op in _ORDERING:
            raise self.error(value.pos, "tags are compared with :, =, != or ~")
        want = op != "!="
        if op == "~" or "*" in wanted or "?" in wanted:
            if "*" in wanted or "?" in wanted:
                search = _search(glob_regex(wanted))
                return [t is not None and any(search(x.lower()) for x in t) is want for t in tags]
            return [t is not None and any(wanted in x.lower() for x in t) is want for t in tags]
        return [t is not None and any(x.lower() == wanted for x in t) is want for t in tags]

    def created(self, fld: Field, op: str, value: Value) -> Mask:
        values = self.col("created")
        if op == "~":
            raise self.error(fld.pos, "'~' matches text; compare created with < or >")
        if value.ago:
            amount = seconds(value.text)
            if amount is None:
                raise self.error(value.pos, f"'{value.text}' is not a duration; use 2h, 3d, 1w")
            return self.ordered(values, op, self.now_ns - amount * NS, fld)
        start, day = moment(self.text, value, self.now_ns)
        # a date is its midnight, as in SQL, except that created = 2026-11-01 is that day
        if day and op in (":", "=", "==", "!="):
            end = start + 86400 * NS
            want = op != "!="
            return [v is not None and (start <= v < end) is want for v in values]
        return self.ordered(values, op, start, fld)


def evaluate(
    node: Node | None,
    columns: Mapping[str, Column],
    text: str = "",
    now_ns: int | None = None,
) -> Mask:
    """Whether each row holds the query; every row for an empty one."""
    rows = len(columns["id"].values) if "id" in columns else 0
    if node is None:
        return [True] * rows
    now = time.time_ns() if now_ns is None else now_ns
    return _Evaluator(text, columns, rows, now).node(node)


def sort_order(text: str, columns: Mapping[str, Column], rows: list[int]) -> list[int]:
    """``rows`` in ``--sort`` order: stable, a missing value or NaN last either way.

    The same choice of column and the same errors as query.py's sort_key().
    """
    name, descending, fld = sort_column(text, columns)
    if name is None:
        return rows  # no run has that key: every value is missing
    kind, values = columns[name].kind, columns[name].values
    if kind == "tags":
        raise query_error(text, 0, f"cannot sort by '{fld.text}': it holds lists")
    present = [i for i in rows if values[i] is not None and values[i] == values[i]]
    missing = [i for i in rows if values[i] is None or values[i] != values[i]]
    return sorted(present, key=values.__getitem__, reverse=descending) + missing


def select_plain(
    columns: Mapping[str, Column],
    where: str | None,
    sort: str | None,
    now_ns: int | None = None,
) -> list[str]:
    """Ids of the rows matching ``where``, in ``sort`` order (else the columns' order):
    query_frame.py's select_ids() over plain columns."""
    mask = evaluate(parse(where) if where else None, columns, where or "", now_ns)
    rows = [i for i, hit in enumerate(mask) if hit]
    if sort:
        rows = sort_order(sort, columns, rows)
    ids = columns["id"].values if "id" in columns else []
    return [ids[i] for i in rows]
