"""Fold many events at once: metric batches go column-wise, the rest one by one.

Training logs are mostly MetricsLogged events with the same keys, so folding them as
columns (transpose once, then min/max per key in numpy) is several times faster than
folding each event; the result is identical to ``fold`` applied in any order.

A group's values are read into one float64 array (``np.fromiter`` over the dicts'
values) whose columns the anomaly rules take as they are; numpy's min/max pick the
same floats as Python's, except between 0.0 and -0.0, where the first seen is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain, filterfalse
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from runar.events import AnyEvent, MetricsLogged, OutputCaptured, Unknown
from runar.views.summary import Clock, MetricSummary, RunSummary, fold

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Column = tuple[float, ...] | npt.NDArray[np.float64]  # one key's values, read only

# keys → the metric events logged with exactly those keys, their times and value columns
Shapes = dict[tuple[str, ...], tuple[list[MetricsLogged], list[int], list["Column"]]]

_values = attrgetter("values")
_ts = attrgetter("ts")


@dataclass
class Folded:
    """What fold_batch did with a batch, for the folds that follow (anomalies, output)."""

    outputs: list[OutputCaptured] = field(default_factory=list)
    shapes: Shapes = field(default_factory=dict)
    # the metric events of ``shapes`` in log order, and every other event (log order);
    # None when a workflow step's metrics were folded one by one (they are in neither)
    plain: list[MetricsLogged] | None = None
    others: list[AnyEvent | Unknown] | None = None


def fold_many(
    summary: RunSummary, events: list[AnyEvent | Unknown], shapes: Shapes | None = None
) -> list[OutputCaptured]:
    """Apply events to a summary (same result as one by one); returns the output events.

    ``shapes`` receives the column-wise groups, for a fold that follows (the anomaly
    rules) to reuse rather than transpose the same events again.
    """
    folded = fold_batch(summary, events)
    if shapes is not None:
        shapes.update(folded.shapes)
    return folded.outputs


def fold_batch(summary: RunSummary, events: list[AnyEvent | Unknown]) -> Folded:
    """fold_many, also handing out which events were folded column-wise and which not."""
    folded = Folded()
    groups: dict[tuple[str, ...], list[MetricsLogged]] = {}
    others: list[AnyEvent | Unknown] = []
    add_other, group_of = others.append, groups.setdefault
    for event in events:
        if type(event) is MetricsLogged and not event.workflow_step:
            group_of(tuple(event.values), []).append(event)
        else:
            add_other(event)
    for event in others:
        fold(summary, event)
        if type(event) is OutputCaptured:
            folded.outputs.append(event)
    workflow = any(type(e) is MetricsLogged for e in others)
    for keys, group in groups.items():
        stamps, columns = _fold_group(summary, keys, group)
        if workflow:  # tuples: the anomaly fold joins them with a workflow step's by +
            columns = [tuple(c.tolist()) for c in columns]
        folded.shapes[keys] = (group, stamps, columns)
    if not workflow:  # a workflow step's metrics are in neither list: no split then
        if len(groups) == 1:
            (plain,) = groups.values()
        else:
            plain = [e for e in events if type(e) is MetricsLogged]  # type: ignore[misc]
        folded.plain, folded.others = plain, others
    return folded


def _fold_group(
    summary: RunSummary, keys: tuple[str, ...], group: list[MetricsLogged]
) -> tuple[list[int], list[npt.NDArray[np.float64]]]:
    stamps = list(map(_ts, group))
    summary.events += len(group)
    first, last = min(stamps), max(stamps)
    if not first:  # ts 0 means "never stamped", as in fold()
        first = min(filter(None, stamps), default=0)
    if first:
        summary.first_ts = first if not summary.first_ts else min(summary.first_ts, first)
    summary.last_ts = max(summary.last_ts, last)
    if stamps.count(last) == 1:
        top = group[stamps.index(last)]
    else:  # same nanosecond: writer and seq break the tie, as in clock order
        top = max((e for e in group if e.ts == last), key=lambda e: (e.writer, e.seq))
    top_clock: Clock = (top.ts, top.writer, top.seq)
    columns = _columns(group, keys)
    for key, column in zip(keys, columns, strict=True):
        low, high = _low_high(column)
        current = summary.metrics.get(key)
        if current is not None and current.derived:
            current = None  # logged by the script: its printed copy goes (see summary.py)
        if current is None:
            summary.metrics[key] = MetricSummary(
                top.values[key], top.step, top_clock, low, high, len(column)
            )
            continue
        current.count += len(column)
        if tuple(current.last_clock) < top_clock:
            current.last, current.last_step, current.last_clock = (
                top.values[key],
                top.step,
                top_clock,
            )
        if low is not None:
            current.min = low if current.min is None else min(current.min, low)
            current.max = high if current.max is None else max(current.max, high)  # type: ignore[type-var]
    return stamps, columns


def _columns(group: list[MetricsLogged], keys: tuple[str, ...]) -> list[npt.NDArray[np.float64]]:
    """Each key's values over the group: float64 array columns of one (n, keys) array."""
    import numpy as np

    pick = itemgetter(*keys)  # a tuple per event, in the keys' order (one C call, no view)
    rows = map(pick, map(_values, group))
    flat = np.fromiter(
        chain.from_iterable(rows) if len(keys) > 1 else rows,
        dtype=np.float64,
        count=len(group) * len(keys),
    )
    table = flat.reshape(len(group), len(keys))
    return [table[:, j] for j in range(len(keys))]


def _low_high(column: npt.NDArray[np.float64]) -> tuple[float | None, float | None]:
    """Min and max of a column, NaN left out (None when all NaN), as Python's min/max pick."""
    import numpy as np

    low = float(np.fmin.reduce(column))
    if math.isnan(low):
        return None, None
    high = float(np.fmax.reduce(column))
    if (low == 0.0 or high == 0.0) and len(set(np.signbit(column[column == 0.0]).tolist())) > 1:
        # 0.0 and -0.0 both there: they tie, and Python's min and max keep the first seen
        finite = list(filterfalse(math.isnan, column.tolist()))
        return min(finite), max(finite)
    return low, high
