"""The run query language compiled to one Polars expression: never to SQL text.

``config.lr < 1e-3 and (metrics.acc > 0.9 or tag:baseline)`` and the short form
``bert lr<1e-3 acc>0.8 status:completed`` are one language: query_syntax.py parses the
text into a tree, this module turns the tree into a ``pl.Expr`` over a runs frame with
the column names of query_frame.py (``id``, ``name``, ``status``, ``tags``, ``created``
in ns, ``duration`` in seconds, ``config.K``, ``metrics.K``, ``min(metrics.K)``,
``max(metrics.K)``, ``summary.K``, ``git.branch``, ``git.commit``, ``project``,
``sweep``). A column that is absent is null, so the condition holds for no run.
Values take the type of the column they meet: a number against a text column is an
error pointing at the value, never a silently empty answer. See docs/query.md.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from runar.errors import InvalidQuery
from runar.views.query_columns import (
    TEXT_SUFFIX,
    Needs,
    column_of,
    leaf_columns,
    needs_of,
    sort_column,
)
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
from runar.views.query_values import glob_regex, moment, number, seconds

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "Needs", "compile_filter", "compile_query", "glob_regex", "needs_of", "parse", "seconds",
    "sort_key",
]  # fmt: skip

_ORDERING: Final = ("<", "<=", ">", ">=")
_NS: Final = 1_000_000_000


class _Compiler:
    def __init__(self, text: str, columns: Mapping[str, pl.DataType], now_ns: int) -> None:
        self.text = text
        self.columns = columns
        self.now_ns = now_ns

    def error(self, pos: int, problem: str) -> InvalidQuery:
        return query_error(self.text, pos, problem)

    def node(self, node: Node) -> pl.Expr:
        import polars as pl

        match node:
            case And(nodes=nodes):
                return pl.all_horizontal([self.node(n) for n in nodes])
            case Or(nodes=nodes):
                return pl.any_horizontal([self.node(n) for n in nodes])
            case Not(node=inner):
                return self.node(inner).not_()
            case Word(text=text):
                return self.word(text)
            case Compare(field=fld, op=op, value=value):
                return self.compare(fld, op, value).fill_null(False)
            case In(field=fld, values=values):
                parts = [self.compare(fld, "=", v).fill_null(False) for v in values]
                return pl.any_horizontal(parts)
        raise AssertionError(node)  # pragma: no cover - exhaustive

    def col(self, name: str, dtype: pl.DataType | None = None) -> pl.Expr:
        import polars as pl

        if name in self.columns and self.columns[name] != pl.Null:
            return pl.col(name)
        return pl.lit(None, dtype or pl.String)  # a column no run has: null, so no match

    def word(self, text: str) -> pl.Expr:
        import polars as pl

        haystack = pl.concat_str(
            [
                self.col("name").fill_null(""),
                self.col("id").fill_null(""),
                self.col("status").fill_null(""),
                self.col("tags", pl.List(pl.String)).list.join(" ").fill_null(""),
            ],
            separator=" ",
        ).str.to_lowercase()
        return haystack.str.contains(text, literal=True)

    # -- fields ---------------------------------------------------------------------
    def compare(self, fld: Field, op: str, value: Value) -> pl.Expr:
        import polars as pl

        match fld.kind:
            case "status" | "project" | "sweep" | "git.branch":
                return self.text_compare(self.col(fld.kind), op, value, exact=True)
            case "name":
                return self.text_compare(self.col("name"), op, value, exact=False)
            case "id" | "git.commit":
                column = self.col(fld.kind)
                if op in (":", "=", "==", "!="):  # ids and commits are named by a prefix
                    hit = column.str.to_lowercase().str.starts_with(value.text.lower())
                    return hit.not_() if op == "!=" else hit
                return self.text_compare(column, op, value, exact=False)
            case "tag":
                return self.tag(op, value)
            case "created":
                return self.created(fld, op, value)
            case "duration":
                amount = seconds(value.text)
                if amount is None or value.ago:
                    problem = f"'{value.text}' is not a duration; use 90s, 5m, 1h, 2d"
                    raise self.error(value.pos, problem)
                return self.ordered(self.col("duration", pl.Float64), op, amount, fld)
            case "leaf":
                return self.leaf(fld, op, value)
        column = column_of(fld)
        if column not in self.columns:
            return pl.lit(None, pl.Boolean)  # no run has that key
        return self.typed(column, self.columns[column], fld, op, value)

    def leaf(self, fld: Field, op: str, value: Value) -> pl.Expr:
        """``lr<1e-3``: every config or metric column whose key is or ends in ``lr``."""
        import polars as pl

        found = leaf_columns(self.columns, fld.key)
        parts = []
        refused: InvalidQuery | None = None
        for name in found:
            try:
                parts.append(self.typed(name, self.columns[name], fld, op, value))
            except InvalidQuery as exc:
                refused = exc
        if not parts:
            if refused is not None:
                raise refused  # every column with that key holds another type
            return pl.lit(None, pl.Boolean)
        return pl.any_horizontal([p.fill_null(False) for p in parts])

    # -- typed comparisons ------------------------------------------------------------
    def typed(self, column: str, dtype: pl.DataType, fld: Field, op: str, value: Value) -> pl.Expr:
        """A config, metric or summary column against a value of the column's own type."""
        import polars as pl

        col = pl.col(column)
        label = fld.text or column
        if op == ":":
            op = "="
        if dtype == pl.Null:
            return pl.lit(None, pl.Boolean)
        if dtype.is_numeric():
            amount = number(value)
            twin = column + TEXT_SUFFIX
            if (amount is None or op == "~") and twin in self.columns:
                return self.typed(twin, self.columns[twin], fld, op, value)
            if amount is None or op == "~":
                what = "a number" if op != "~" else "text for '~'"
                raise self.error(
                    value.pos,
                    f"{label} holds numbers; '{value.text}' is not {what}",
                )
            return self.ordered(col, op, amount, fld)
        if dtype == pl.Boolean:
            flag = value.text.lower()
            if flag not in ("true", "false") or op not in ("=", "==", "!="):
                raise self.error(value.pos, f"{label} is true or false; compare it with = true")
            hit = col == (flag == "true")
            return hit.not_() if op == "!=" else hit
        if isinstance(dtype, pl.List):
            raise self.error(fld.pos, f"{label} holds lists; it cannot be compared")
        if op in _ORDERING and number(value) is not None:
            problem = f"{label} holds text; '{value.text}' is a number (quote it for text)"
            raise self.error(value.pos, problem)
        return self.text_compare(col.cast(pl.String), op, value, exact=True)

    def ordered(self, col: pl.Expr, op: str, number: float, fld: Field) -> pl.Expr:
        """A numeric comparison in which NaN is never true, as in Python."""
        if op == ":":
            op = "="
        if op == "~":
            raise self.error(fld.pos, f"'~' matches text; {fld.text} holds numbers")
        import polars as pl

        result = {
            "<": col < number,
            "<=": col <= number,
            ">": col > number,
            ">=": col >= number,
            "=": col == number,
            "==": col == number,
            "!=": col != number,
        }[op]
        return result & col.cast(pl.Float64).is_nan().not_()

    def text_compare(self, col: pl.Expr, op: str, value: Value, exact: bool) -> pl.Expr:
        """Text, ignoring case: ``=`` equal (a glob when it has * or ?), ``~`` and ``:`` contain."""
        wanted = value.text.lower()
        lowered = col.str.to_lowercase()
        if op in _ORDERING:
            return {
                "<": lowered < wanted,
                "<=": lowered <= wanted,
                ">": lowered > wanted,
                ">=": lowered >= wanted,
            }[op]
        if "*" in wanted or "?" in wanted:
            hit = lowered.str.contains(glob_regex(wanted))
        elif op == "~" or (op == ":" and not exact):
            hit = lowered.str.contains(wanted, literal=True)
        else:
            hit = lowered == wanted
        return hit.not_() if op == "!=" else hit

    def tag(self, op: str, value: Value) -> pl.Expr:
        import polars as pl

        tags = self.col("tags", pl.List(pl.String))
        wanted = value.text.lower()
        if op in _ORDERING:
            raise self.error(value.pos, "tags are compared with :, =, != or ~")
        if op == "~" or "*" in wanted or "?" in wanted:
            pattern = glob_regex(wanted) if "*" in wanted or "?" in wanted else None
            element = pl.element().str.to_lowercase()
            test = (
                element.str.contains(pattern)
                if pattern
                else element.str.contains(wanted, literal=True)
            )
            hit = tags.list.eval(test).list.any()
        else:
            hit = tags.list.eval(pl.element().str.to_lowercase()).list.contains(wanted)
        return hit.not_() if op == "!=" else hit

    def created(self, fld: Field, op: str, value: Value) -> pl.Expr:
        import polars as pl

        col = self.col("created", pl.Int64)
        if op == "~":
            raise self.error(fld.pos, "'~' matches text; compare created with < or >")
        if value.ago:
            amount = seconds(value.text)
            if amount is None:
                raise self.error(value.pos, f"'{value.text}' is not a duration; use 2h, 3d, 1w")
            return self.ordered(col, op, self.now_ns - amount * _NS, fld)
        start, day = self.moment(value)
        # a date is its midnight, as in SQL, except that created = 2026-11-01 is that day
        if day and op in (":", "=", "==", "!="):
            hit = (col >= start) & (col < start + 86400 * _NS)
            return hit.not_() if op == "!=" else hit
        return self.ordered(col, op, start, fld)

    def moment(self, value: Value) -> tuple[int, bool]:
        """A date or time in ns (local time), and whether it names a whole day."""
        return moment(self.text, value, self.now_ns)


def compile_query(
    node: Node | None,
    columns: Mapping[str, pl.DataType],
    text: str = "",
    now_ns: int | None = None,
) -> pl.Expr | None:
    """One boolean expression over a runs frame with these columns; None keeps every run."""
    if node is None:
        return None
    now = time.time_ns() if now_ns is None else now_ns
    return _Compiler(text, columns, now).node(node).fill_null(False)


def compile_filter(
    text: str, columns: Mapping[str, pl.DataType], now_ns: int | None = None
) -> pl.Expr | None:
    """Parse and compile in one go: what a front-end calls with the user's text.

    Args:
        text: the query.
        columns: the runs frame's schema (query_frame.py's column names).
        now_ns: the time ``2d ago`` counts back from; the clock when None.
    """
    return compile_query(parse(text), columns, text, now_ns)


def sort_key(text: str, columns: Mapping[str, pl.DataType]) -> tuple[pl.Expr | None, bool]:
    """The expression ``--sort`` orders by (None: no run has it) and whether descending."""
    import polars as pl

    column, descending, fld = sort_column(text, columns)
    if column is None:
        return None, descending  # no run has that key: every value is missing
    dtype = columns[column]
    if isinstance(dtype, pl.List):
        raise query_error(text, 0, f"cannot sort by '{fld.text}': it holds lists")
    key = pl.col(column)
    if dtype.is_float():
        key = key.fill_nan(None)  # NaN last either way, like a missing value
    return key, descending
