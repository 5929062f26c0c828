"""Early stopping: `--stop 'metrics.val/loss > 2 at step 100'` ends unpromising points.

A rule is ``CONDITION [at step N]``. The condition is the query language of
`runar ls --where` (views/query_syntax.py, docs/query.md), so ``metrics.val/loss > 2``,
``val/loss > 2 and metrics.acc < 0.5`` or ``max(metrics.grad_norm) > 100`` all work, with
the same one-line errors naming the bad column. It is judged over the running points' runs
(latest values, as `runar ls` shows them); with ``at step N`` only once the point has
logged step N or later of the metrics the condition names (of any metric when it names
none). A point that matches gets SIGINT, like Ctrl-C, and its point is marked ``stopped``
in the sweep (its run says ``killed``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from runar.errors import InvalidQuery, UsageError
from runar.store import Store

if TYPE_CHECKING:
    from runar.sweep.driver import Running
    from runar.views.query_syntax import Node
    from runar.views.summary import RunSummary

AT_STEP: Final = re.compile(r"(?P<condition>.*?)(?:^|\s+)at\s+step\s+(?P<step>\S+)\s*", re.DOTALL)
EXAMPLE: Final = "--stop 'metrics.val/loss > 2 at step 100'"


def metric_keys(node: Node | None) -> list[str]:
    """The metric keys a condition names (``metrics.KEY``, ``min(metrics.KEY)``…), in order."""
    from runar.views.query_syntax import And, Compare, In, Not, Or

    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop(0)
        if isinstance(item, (Compare, In)) and item.field.kind in ("metrics", "leaf"):
            if item.field.key not in found:
                found.append(item.field.key)
        elif isinstance(item, Not):
            stack.insert(0, item.node)
        elif isinstance(item, (And, Or)):
            stack[:0] = list(item.nodes)
    return found


def _logged(named: list[str], summary: RunSummary) -> list[str]:
    """The run's metric keys a condition names: exactly, or a bare ``loss`` as ``val/loss``."""
    return [k for k in summary.metrics if any(k == n or k.endswith(f"/{n}") for n in named)]


@dataclass(frozen=True)
class StopRule:
    """When a running point should be stopped: a query condition, from a step on."""

    condition: str
    step: int | None = None
    text: str = ""

    def keys(self) -> list[str]:
        from runar.views.query_syntax import parse

        return metric_keys(parse(self.condition))

    def reached(self, summary: RunSummary) -> bool:
        """Has the point logged ``at step`` or later (of the keys the condition names)?"""
        if self.step is None:
            return True
        metrics = summary.metrics
        keys = _logged(self.keys(), summary) or list(metrics)
        steps = [metrics[k].last_step for k in keys if metrics[k].last_step is not None]
        return bool(steps) and max(steps) >= self.step

    def why(self, summary: RunSummary) -> str:
        """The values that met the rule, as the sweep's progress line says it."""
        shown = []
        for key in _logged(self.keys(), summary):
            metric = summary.metrics[key]
            at = f" at step {metric.last_step}" if metric.last_step is not None else ""
            shown.append(f"{key}={metric.last:.6g}{at}")
        return f"{', '.join(shown) or 'the point'} meets --stop '{self.text}'"

    def matching(self, runs: Sequence[tuple[RunSummary, str]]) -> set[str]:
        """Ids of these (summary, status) runs whose condition holds from their step on."""
        from runar.views.query_frame import select_runs

        ready = [(s, status) for s, status in runs if self.reached(s)]
        if not ready:
            return set()
        return set(select_runs(ready, where=self.condition))

    def check(self, store: Store, running: Sequence[Running]) -> list[tuple[Any, str]]:
        """The running points this rule stops now, each with why."""
        if not running:
            return []
        from runar.errors import RunNotFound
        from runar.views import open_views

        found: list[tuple[Any, str]] = []
        with open_views(store) as views:
            summaries: dict[str, RunSummary] = {}
            for r in running:
                try:
                    summaries[r.run_id] = views.get(r.run_id)
                except RunNotFound:
                    continue  # not started recording yet
            runs = [(s, views.status(s)) for s in summaries.values()]
            hits = self.matching(runs)
        for r in running:
            if r.run_id in hits:
                found.append((r, self.why(summaries[r.run_id])))
        return found


def parse_rule(text: str) -> StopRule:
    """A --stop rule: the condition is checked by the query parser now, with its column."""
    from runar.views.query_syntax import parse

    stripped = text.strip()
    condition, step = stripped, None
    match = AT_STEP.fullmatch(stripped)
    if match is not None:
        condition = match["condition"].strip()
        if not match["step"].isdigit():
            raise UsageError(
                f"--stop {text!r}: 'at step' takes a whole number, not {match['step']!r}"
            )
        step = int(match["step"])
    if not condition:
        raise UsageError(f"--stop {text!r} has no condition; write e.g. {EXAMPLE}")
    try:
        node = parse(condition)
    except InvalidQuery as exc:
        raise _named(exc) from None
    if node is None:
        raise UsageError(f"--stop {text!r} has no condition; write e.g. {EXAMPLE}")
    _refuse_words(text, node)
    _try_compile(condition, metric_keys(node))
    return StopRule(condition, step, stripped)


def _refuse_words(text: str, node: Node) -> None:
    """A bare word is a name search in `runar ls`; in a rule it is a typo that never matches.

    ``val/loss > 2 at stepp 100`` parsed as ``val/loss > 2`` and the words ``at``, ``stepp``
    and ``100``, so the rule silently stopped nothing.
    """
    from runar.views.query_syntax import And, Not, Or, Word

    words: list[str] = []
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Word):
            words.append(item.text)
        elif isinstance(item, Not):
            stack.append(item.node)
        elif isinstance(item, (And, Or)):
            stack.extend(item.nodes)
    if words:
        hint = "; write 'at step N'" if any(w.lower() in ("at", "step") for w in words) else ""
        raise UsageError(
            f"--stop {text!r}: {' '.join(reversed(words))!r} is no comparison{hint}; "
            f"a rule compares values, e.g. {EXAMPLE}"
        )


def _named(exc: InvalidQuery) -> InvalidQuery:
    """The query error, said to be --stop's, its caret line (the CLI prints it) kept."""
    named = InvalidQuery(f"--stop: {exc}")
    for attribute in ("query", "column", "caret"):
        if hasattr(exc, attribute):
            setattr(named, attribute, getattr(exc, attribute))
    return named


def _try_compile(condition: str, keys: list[str]) -> None:
    """Compile over numeric metric columns: 'loss > abc' fails before any point runs."""
    import polars as pl

    from runar.views.query import compile_filter

    schema: dict[str, Any] = {"id": pl.String, "name": pl.String, "status": pl.String}
    for key in keys:
        for column in (f"metrics.{key}", f"min(metrics.{key})", f"max(metrics.{key})"):
            schema[column] = pl.Float64
    try:
        compile_filter(condition, schema)
    except InvalidQuery as exc:
        raise _named(exc) from None
