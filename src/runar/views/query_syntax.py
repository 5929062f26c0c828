"""The run query language's syntax: text → a tree of conditions. No Polars here.

Grammar (``not`` binds tighter than ``and``, ``and`` tighter than ``or``; two conditions
side by side mean ``and``)::

    query      := or? EOF
    or         := and ("or" and)*
    and        := not (["and"] not)*
    not        := "not" not | "(" or ")" | condition
    condition  := field OP value | field ":" value | field "in" "[" value ("," value)* "]"
                | value                                  # a bare word: name/id/tags/status
    field      := KEY | ("min" | "max" | "best" | "last") "(" KEY ")"
    value      := WORD | 'text' | "text" | DURATION "ago"
    OP         := < <= > >= = == != ~

The tokens come from query_tokens.py, the keys a field may name from query_fields.py, and
the tree is query_tree.py's; every name callers use is importable from here. Every error
names the column of the bad token. See docs/query.md.
"""

from __future__ import annotations

from runar.errors import InvalidQuery
from runar.views.query_fields import FUNCTIONS, SHORT_FIELDS, resolve_field
from runar.views.query_tokens import OPS, Token, query_error, tokenize
from runar.views.query_tree import And, Compare, Field, In, Node, Not, Or, Value, Word

__all__ = [
    "OPS", "And", "Compare", "Field", "In", "Node", "Not", "Or", "Token", "Value", "Word",
    "parse", "parse_sort", "query_error", "resolve_field", "tokenize",
]  # fmt: skip


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, token: Token | None, problem: str) -> InvalidQuery:
        return query_error(self.text, len(self.text) if token is None else token.pos, problem)

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise self.error(extra, f"unexpected '{extra.text}'")
        return node

    def parse_or(self) -> Node:
        nodes = [self.parse_and()]
        while (t := self.peek()) is not None and t.keyword == "or":
            self.take()
            nodes.append(self.parse_and())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def parse_and(self) -> Node:
        nodes = [self.parse_not()]
        while (t := self.peek()) is not None and t.keyword != "or" and t.kind != "rparen":
            if t.keyword == "and":
                self.take()
            nodes.append(self.parse_not())
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def parse_not(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error(None, "expected a condition at the end")
        if token.keyword == "not":
            self.take()
            return Not(self.parse_not())
        if token.kind == "lparen":
            self.take()
            if (t := self.peek()) is not None and t.kind == "rparen":
                raise self.error(t, "expected a condition inside '()'")
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise self.error(close, f"expected ')' to close the '(' at column {token.pos + 1}")
            self.take()
            return node
        return self.parse_condition()

    def parse_condition(self) -> Node:
        token = self.take()
        nxt = self.peek()
        if token.keyword is not None:
            raise self.error(token, f"expected a condition before '{token.text}'")
        if token.kind in ("op", "colon"):
            raise self.error(token, f"expected a field before '{token.text}'")
        if token.kind not in ("word", "string"):
            raise self.error(token, f"unexpected '{token.text}'")
        if token.kind == "word" and nxt is not None and self._called(token, nxt):
            fld = self.parse_function(token)
            op = self.peek()
            if op is None or op.kind != "op":
                raise self.error(op, f"expected a comparison such as < after '{fld.text}'")
            self.take()
            return Compare(fld, op.text, self.parse_value(op))
        if nxt is not None and nxt.kind in ("op", "colon"):
            if token.kind == "string":
                raise self.error(token, f"expected a field before '{nxt.text}', not text")
            fld = resolve_field(token, self.text)
            self.take()
            if nxt.kind == "colon" and fld.kind not in SHORT_FIELDS:
                raise self.error(
                    token,
                    f"'{token.text}:' is not a short form; use "
                    + ", ".join(f"{f}:" for f in SHORT_FIELDS)
                    + f", or {token.text} = VALUE",
                )
            return Compare(fld, nxt.text, self.parse_value(nxt))
        after = self.peek(1)
        if (
            token.kind == "word"
            and nxt is not None
            and nxt.text.lower() == "in"
            and after is not None
            and after.kind == "lbrack"
        ):
            return In(resolve_field(token, self.text), self.parse_list())
        if token.kind == "word" and token.text.startswith(("-", "+")) and len(token.text) == 1:
            raise self.error(token, f"unexpected '{token.text}'")
        return Word(token.value.lower())

    @staticmethod
    def _called(name: Token, paren: Token) -> bool:
        """True when ``name (`` is a function call: a known function, or a word glued to ``(``.

        A bare word a space before a group is a condition of its own: ``bert (a or b)``
        means ``bert and (a or b)``, as any two conditions side by side do.
        """
        if paren.kind != "lparen":
            return False
        return name.text.lower() in FUNCTIONS or paren.pos == name.pos + len(name.text)

    def parse_function(self, name: Token) -> Field:
        func = name.text.lower()
        if func not in FUNCTIONS:
            raise self.error(
                name, f"unknown function '{name.text}('; use min(), max(), best() or last()"
            )
        self.take()  # (
        key = self.peek()
        if key is None or key.kind != "word":
            raise self.error(key, f"expected a metric inside {func}(), e.g. {func}(metrics.loss)")
        self.take()
        inner = resolve_field(key, self.text)
        if inner.kind == "leaf":
            inner = Field("metrics", inner.key)
        if inner.kind != "metrics":
            raise self.error(key, f"{func}() takes a metric, e.g. {func}(metrics.loss)")
        close = self.peek()
        if close is None or close.kind != "rparen":
            raise self.error(close, f"expected ')' after {func}({key.text}")
        self.take()
        text = f"{func}({key.text})"
        return Field("metrics", inner.key, agg=func, pos=name.pos, text=text)

    def parse_value(self, op: Token) -> Value:
        token = self.peek()
        if token is None or token.kind not in ("word", "string") or token.keyword is not None:
            raise self.error(token, f"expected a value after '{op.text}'")
        self.take()
        text = token.value
        end = token.pos + len(token.text)
        while token.kind == "word" and self._glued(end):  # team:nlp, 2026-11-01T10:30
            colon, word = self.take(), self.take()
            text += colon.text + word.text
            end = word.pos + len(word.text)
        ago = False
        nxt = self.peek()
        if token.kind == "word" and nxt is not None and nxt.text.lower() == "ago":
            self.take()
            ago = True
        return Value(text, token.kind == "string", ago, token.pos)

    def _glued(self, end: int) -> bool:
        """True when ``:word`` follows at ``end`` with no space: part of the same value."""
        colon, word = self.peek(), self.peek(1)
        return (
            colon is not None
            and colon.kind == "colon"
            and colon.pos == end
            and word is not None
            and word.kind == "word"
            and word.pos == end + 1
        )

    def parse_list(self) -> tuple[Value, ...]:
        opening = self.take()  # in
        self.take()  # [
        values: list[Value] = []
        while True:
            token = self.peek()
            if token is not None and token.kind == "rbrack" and not values:
                raise self.error(token, "expected a value inside '[]'")
            values.append(self.parse_value(opening if not values else self.tokens[self.i - 1]))
            sep = self.peek()
            if sep is not None and sep.kind == "comma":
                self.take()
                continue
            if sep is not None and sep.kind == "rbrack":
                self.take()
                return tuple(values)
            raise self.error(sep, "expected ',' or ']' in the list")


def parse(text: str) -> Node | None:
    """The tree of a query; None for an empty one (every run)."""
    return _Parser(text).parse()


def parse_sort(text: str) -> tuple[Field, bool]:
    """``-metrics.acc`` → (the field, descending); the same field syntax as queries."""
    stripped = text.strip()
    descending = stripped.startswith("-")
    body = stripped[1:] if stripped[:1] in "-+" else stripped
    parser = _Parser(body)
    first = parser.peek()
    if first is None or first.kind != "word":
        raise query_error(text, 0, "expected a field to sort by, e.g. -metrics.acc")
    parser.take()
    nxt = parser.peek()
    if nxt is not None and nxt.kind == "lparen":
        fld = parser.parse_function(first)
    else:
        fld = resolve_field(first, body)
    extra = parser.peek()
    if extra is not None:
        start = len(text) - len(text.lstrip()) + len(stripped) - len(body)  # body's column
        raise query_error(text, start + extra.pos, "expected one field")
    return fld, descending
