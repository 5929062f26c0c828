"""Early stopping: `--stop 'metrics.val/loss > 2 at step 100'` ends unpromising points.

A rule is ``[metrics.]KEY OP NUMBER [at step N]`` with OP one of < <= > >= = !=. It is
checked against each running point's latest value of KEY once that point has logged
step N (or any step, without ``at step``); a point that matches gets SIGINT, like
Ctrl-C, and its point is marked ``stopped`` in the sweep (its run says ``killed``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from runar.errors import UsageError
from runar.store import Store

if TYPE_CHECKING:
    from runar.sweep.driver import Running

OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
RULE: Final = re.compile(
    r"\s*(?:metrics\.)?(?P<key>[^\s<>=!]+)\s*(?P<op><=|>=|!=|<|>|=)\s*(?P<value>\S+)"
    r"(?:\s+at\s+step\s+(?P<step>\d+))?\s*"
)


@dataclass(frozen=True)
class StopRule:
    """When a running point should be stopped."""

    key: str
    op: str
    threshold: float
    step: int | None = None
    text: str = ""

    def matches(self, value: float, last_step: int | None) -> bool:
        if self.step is not None and (last_step is None or last_step < self.step):
            return False
        return value == value and OPERATORS[self.op](value, self.threshold)

    def check(self, store: Store, running: Sequence[Running]) -> list[tuple[Any, str]]:
        """The running points this rule stops now, each with why."""
        if not running:
            return []
        from runar.errors import RunNotFound
        from runar.views import open_views

        found: list[tuple[Any, str]] = []
        with open_views(store) as views:
            for r in running:
                try:
                    metric = views.get(r.run_id).metrics.get(self.key)
                except RunNotFound:
                    continue  # not started recording yet
                if metric is not None and self.matches(metric.last, metric.last_step):
                    at = f" at step {metric.last_step}" if metric.last_step is not None else ""
                    found.append(
                        (r, f"{self.key}={metric.last:.6g}{at} meets --stop '{self.text}'")
                    )
        return found


def parse_rule(text: str) -> StopRule:
    """A --stop rule; UsageError shows the expected shape."""
    match = RULE.fullmatch(text)
    if match is None:
        raise UsageError(
            f"--stop {text!r} is not a rule; write e.g. --stop 'metrics.val/loss > 2 at step 100'"
        )
    try:
        threshold = float(match["value"])
    except ValueError:
        raise UsageError(f"--stop {text!r}: {match['value']!r} is not a number") from None
    step = int(match["step"]) if match["step"] else None
    return StopRule(match["key"], match["op"], threshold, step, text.strip())
