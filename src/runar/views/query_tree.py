"""What a parsed query is: fields, values and the conditions that join them. Data only.

query_syntax.py builds these from text; query.py (Polars) and query_eval.py (plain
columns) give them their meaning.
"""

from __future__ import annotations

import msgspec


class _Placed(msgspec.Struct, frozen=True):
    """A piece of a query that equals another saying the same, wherever it stands in it."""

    def said(self) -> tuple[object, ...]:
        """What it says, without where it stands or how it was typed."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.said() == other.said()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.said())


class Field(_Placed, frozen=True):
    """What a condition looks at: ``kind`` is config, metrics, summary, leaf or a plain field."""

    kind: str
    key: str = ""  # the config/metric/summary key, or a bare leaf such as ``lr``
    agg: str = "last"  # metrics only: last, min, max or best
    pos: int = 0
    text: str = ""  # as typed, for messages

    def said(self) -> tuple[object, ...]:
        return (self.kind, self.key, self.agg)


class Value(_Placed, frozen=True):
    """A literal as typed; what it means (number, date, duration) depends on the field."""

    text: str
    quoted: bool = False
    ago: bool = False  # ``2d ago``
    pos: int = 0

    def said(self) -> tuple[object, ...]:
        return (self.text, self.quoted, self.ago)


class Compare(msgspec.Struct, frozen=True):
    field: Field
    op: str  # one of query_tokens.OPS, or ":" for the short form
    value: Value


class In(msgspec.Struct, frozen=True):
    field: Field
    values: tuple[Value, ...]


class Word(msgspec.Struct, frozen=True):
    """A bare word: a case-insensitive substring of the name, id, tags or status."""

    text: str


class Not(msgspec.Struct, frozen=True):
    node: Node


class And(msgspec.Struct, frozen=True):
    nodes: tuple[Node, ...]


class Or(msgspec.Struct, frozen=True):
    nodes: tuple[Node, ...]


Node = Compare | In | Word | Not | And | Or
