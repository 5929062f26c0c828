"""The run filter language, compiled to a Polars expression: never to SQL text.

``bert lr<1e-3 acc>0.8 status:completed tag:baseline`` keeps runs whose name, id, tags
or status contain "bert", whose config ``lr`` (or any key ending in ``.lr``) is below
1e-3, whose last ``acc`` is above 0.8, whose status is completed and that carry the tag
baseline. Every term must hold.

Three steps, so the language can grow without a rewrite: ``tokenize`` cuts the text
into tokens, ``parse`` groups them into terms, ``compile_query`` turns the terms into
one ``pl.Expr`` over a runs frame. A token the grammar does not allow (parentheses,
quotes other than ``"``, ``;``…) is an ``InvalidQuery`` naming it, so a string that
tries SQL or file access is refused rather than searched for.

The runs frame has the columns ``id``, ``name``, ``status``, ``tags`` (a list of
strings), ``config.<dotted key>`` and ``metrics.<key>``; other plain columns (such
as ``duration_s``) can be compared by their name.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from runar.errors import InvalidQuery

if TYPE_CHECKING:
    import polars as pl

TokenKind = Literal["word", "string", "op", "colon"]
FIELDS: Final = ("status", "tag", "name", "id")
PREFIXES: Final = ("config.", "metrics.")
_TOKEN: Final = re.compile(
    r"""(?P<space>\s+)
      | (?P<op><=|>=|!=|==|<|>|=)
      | (?P<colon>:)
      | (?P<string>"[^"]*")
      | (?P<word>[\w.+\-/@%]+)""",
    re.VERBOSE,
)
_KEY: Final = re.compile(r"[^\W\d][\w.\-/]*")
_OPS: Final[dict[str, Callable[[pl.Expr, object], pl.Expr]]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
_EQUALITY: Final = ("=", "==", "!=")


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str

    @property
    def value(self) -> str:
        return self.text[1:-1] if self.kind == "string" else self.text


@dataclass(frozen=True)
class Word:
    """A bare word: a case-insensitive substring of the name, id, tags or status."""

    text: str


@dataclass(frozen=True)
class FieldIs:
    """``status:completed``, ``tag:baseline``, ``name:bert``, ``id:x7k``."""

    field: str
    value: str


@dataclass(frozen=True)
class Compare:
    """``key op value`` over config and metric values."""

    key: str
    op: str
    value: float | str


Term = Word | FieldIs | Compare


@dataclass(frozen=True)
class Query:
    """A parsed filter: every term must hold."""

    terms: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms


def tokenize(text: str) -> list[Token]:
    """The filter's tokens; anything outside the grammar raises InvalidQuery naming it."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos:].split()[0] if text[pos:].strip() else text[pos]
            raise InvalidQuery(
                f"cannot read '{bad}' in the filter; use words, key<value, "
                f'status:, tag:, name:, id: and "quoted text"'
            )
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group()))  # type: ignore[arg-type]
        pos = match.end()
    return tokens


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def parse(text: str) -> Query:
    """Group tokens into terms: ``word``, ``field:value``, ``key op value``."""
    tokens = tokenize(text)
    terms: list[Term] = []
    i = 0
    while i < len(tokens):
        head = tokens[i]
        follow = tokens[i + 1] if i + 1 < len(tokens) else None
        value = tokens[i + 2] if i + 2 < len(tokens) else None
        if follow is not None and follow.kind in ("colon", "op"):
            if head.kind != "word":
                raise InvalidQuery(
                    f"'{head.text}{follow.text}' needs a name before '{follow.text}'"
                )
            if value is None or value.kind not in ("word", "string"):
                raise InvalidQuery(f"'{head.text}{follow.text}' needs a value after it")
            if follow.kind == "colon":
                if head.text.lower() not in FIELDS:
                    raise InvalidQuery(
                        f"unknown field '{head.text}:' in the filter; use "
                        + ", ".join(f"{f}:" for f in FIELDS)
                    )
                terms.append(FieldIs(head.text.lower(), value.value))
            else:
                if _KEY.fullmatch(head.text) is None:
                    raise InvalidQuery(f"'{head.text}' is not a config or metric name")
                raw = value.value
                parsed = raw if value.kind == "string" else _number(raw)
                if isinstance(parsed, str) and follow.text not in _EQUALITY:
                    raise InvalidQuery(
                        f"'{head.text}{follow.text}{raw}' compares with '{follow.text}' "
                        f"but '{raw}' is not a number"
                    )
                terms.append(Compare(head.text, follow.text, parsed))
            i += 3
            continue
        if head.kind in ("colon", "op"):
            raise InvalidQuery(f"'{head.text}' needs a name before it")
        terms.append(Word(head.value.lower()))
        i += 1
    return Query(tuple(terms))


def _leaf_is(key: str, wanted: str) -> bool:
    return key == wanted or key.endswith("." + wanted) or key.endswith("/" + wanted)


def _candidates(key: str, columns: Mapping[str, pl.DataType]) -> list[str]:
    """The columns a comparison key names: exact prefixed names, else leaf matches."""
    if key.startswith(PREFIXES):
        return [key] if key in columns else []
    found = [
        name
        for name in columns
        for prefix in PREFIXES
        if name.startswith(prefix) and _leaf_is(name[len(prefix) :], key)
    ]
    if key in columns and key not in ("tags",):
        found.append(key)
    return found


def _compare(column: str, dtype: pl.DataType, term: Compare) -> pl.Expr:
    import polars as pl

    col = pl.col(column)
    op = _OPS[term.op]
    if isinstance(term.value, str):
        return op(col.cast(pl.String).str.to_lowercase(), term.value.lower())
    if dtype == pl.Boolean or isinstance(dtype, pl.List):
        return pl.lit(False)  # a flag is not a number, as in the TUI
    if not dtype.is_numeric():
        col = col.cast(pl.Float64, strict=False)
    elif dtype.is_float():
        return op(col, term.value) & col.is_not_nan()  # NaN compares false, as in Python
    return op(col, term.value)


def _term_expr(term: Term, columns: Mapping[str, pl.DataType]) -> pl.Expr:
    import polars as pl

    match term:
        case Word(text=text):
            haystack = pl.concat_str(
                [
                    pl.col("name").fill_null(""),
                    pl.col("id"),
                    pl.col("status"),
                    pl.col("tags").list.join(" "),
                ],
                separator=" ",
            ).str.to_lowercase()
            return haystack.str.contains(text, literal=True)
        case FieldIs(field="status", value=value):
            return pl.col("status") == value.lower()
        case FieldIs(field="tag", value=value):
            return pl.col("tags").list.contains(value)
        case FieldIs(field="name", value=value):
            return pl.col("name").str.to_lowercase().str.contains(value.lower(), literal=True)
        case FieldIs(field="id", value=value):
            return pl.col("id").str.starts_with(value.lower())
        case Compare(key=key):
            parts = [_compare(c, columns[c], term) for c in _candidates(key, columns)]
            if not parts:
                return pl.lit(False)  # no run has that key
            return pl.any_horizontal([p.fill_null(False) for p in parts])
    raise InvalidQuery(f"cannot use '{term}' in a filter")  # pragma: no cover - exhaustive


def compile_query(query: Query, columns: Mapping[str, pl.DataType]) -> pl.Expr | None:
    """One boolean expression over a runs frame with these columns; None keeps every run."""
    if query.empty:
        return None
    import polars as pl

    exprs = [_term_expr(term, columns).fill_null(False) for term in query.terms]
    return pl.all_horizontal(exprs)


def compile_filter(text: str, columns: Mapping[str, pl.DataType]) -> pl.Expr | None:
    """Parse and compile in one go: what a front-end calls with the user's text."""
    return compile_query(parse(text), columns)
