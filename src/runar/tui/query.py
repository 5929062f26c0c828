"""The `/` filter: words match name, id, tag or status; ``key<value`` compares config and metrics.

``bert lr<1e-3 acc>0.8`` keeps runs whose name, id, tags or status contain "bert", whose
config ``lr`` (or any key ending in ``.lr``) is below 1e-3 and whose last ``acc`` is above 0.8.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from runar.tui.catalog import RunEntry

_CONDITION: Final = re.compile(r"^([^<>=!]+?)(<=|>=|!=|==|<|>|=)(.+)$")
_OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Condition:
    """One ``key op value`` comparison."""

    key: str
    op: str
    value: float | str

    def holds(self, values: dict[str, Any]) -> bool:
        found = [v for k, v in values.items() if k == self.key or _leaf_is(k, self.key)]
        return any(self._compare(v) for v in found)

    def _compare(self, actual: Any) -> bool:
        compare = _OPS[self.op]
        if isinstance(self.value, float):
            if isinstance(actual, bool) or not isinstance(actual, int | float):
                return False
            return compare(float(actual), self.value)
        if self.op not in ("=", "==", "!="):
            return False
        return compare(str(actual).lower(), self.value.lower())


@dataclass(frozen=True)
class Query:
    """A parsed filter: every word and every condition must match."""

    words: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.words and not self.conditions

    def matches(self, entry: RunEntry) -> bool:
        summary = entry.summary
        if self.words:
            haystack = " ".join(
                (summary.display_name, summary.run_id, entry.status, *summary.tag_list())
            ).lower()
            if not all(word in haystack for word in self.words):
                return False
        if self.conditions:
            values: dict[str, Any] = dict(summary.config_values())
            values.update(summary.last_metrics())
            if not all(c.holds(values) for c in self.conditions):
                return False
        return True


def _leaf_is(key: str, wanted: str) -> bool:
    return key.endswith("." + wanted) or key.endswith("/" + wanted)


def _value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


def parse_query(text: str) -> Query:
    """Split the filter into words and conditions; never fails on odd input."""
    words: list[str] = []
    conditions: list[Condition] = []
    for token in text.split():
        match = _CONDITION.match(token)
        if match is None:
            words.append(token.lower())
        else:
            key, op, value = match.groups()
            conditions.append(Condition(key, op, _value(value)))
    return Query(tuple(words), tuple(conditions))
