"""The query language's tokens, and the error that points a caret at a column of the query.

Tokens keep where they stand in the text so that every later error, in the parser or in
what a value means (query.py, query_values.py), names the column of the culprit.
"""

from __future__ import annotations

import re
from typing import Final, Literal

import msgspec

from runar.errors import InvalidQuery

TokenKind = Literal[
    "word", "string", "op", "colon", "lparen", "rparen", "lbrack", "rbrack", "comma"
]
OPS: Final = ("<", "<=", ">", ">=", "=", "==", "!=", "~")
KEYWORDS: Final = ("and", "or", "not")
_TOKEN: Final = re.compile(
    r"""(?P<space>\s+)
      | (?P<op><=|>=|!=|==|<|>|=|~)
      | (?P<colon>:)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<lbrack>\[)
      | (?P<rbrack>\])
      | (?P<comma>,)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<word>[\w.+\-/@%*?#]+)""",
    re.VERBOSE,
)


class Token(msgspec.Struct, frozen=True):
    kind: TokenKind
    text: str  # as typed
    pos: int  # offset in the query text
    value: str  # quotes removed; for a key, its quoted parts joined in

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in KEYWORDS else None


def query_error(text: str, pos: int, problem: str) -> InvalidQuery:
    """``invalid query at column N: problem in "text"``, with the caret line kept aside."""
    error = InvalidQuery(f'invalid query at column {pos + 1}: {problem} in "{text}"')
    error.query = text  # type: ignore[attr-defined]
    error.column = pos + 1  # type: ignore[attr-defined]
    error.caret = f"  {text}\n  {' ' * pos}^"  # type: ignore[attr-defined]
    return error


def tokenize(text: str) -> list[Token]:
    """The query's tokens; a character outside the grammar raises InvalidQuery naming it."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] in "\"'":
                raise query_error(text, pos, f"the quote {text[pos]} is never closed")
            bad = text[pos:].split()[0][:20]
            raise query_error(
                text, pos, f"cannot read '{bad}'; quote text that holds it, e.g. \"a;b\""
            )
        kind = match.lastgroup
        raw = match.group()
        pos = match.end()
        if kind == "space":
            continue
        value = raw[1:-1] if kind == "string" else raw
        if kind == "word" and raw.endswith(".") and pos < len(text) and text[pos] in "\"'":
            # metrics."val loss": a quoted part of a key, joined to the word before it
            quoted = _TOKEN.match(text, pos)
            if quoted is None or quoted.lastgroup != "string":
                raise query_error(text, pos, f"the quote {text[pos]} is never closed")
            raw, value, pos = raw + quoted.group(), value + quoted.group()[1:-1], quoted.end()
        tokens.append(Token(kind, raw, match.start(), value))  # type: ignore[arg-type]
    return tokens
