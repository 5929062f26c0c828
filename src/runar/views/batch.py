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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, filterfalse
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from runar.events import AnyEvent, MetricsColumns, MetricsLogged, OutputCaptured, Unknown
from runar.metric_columns import expand_columns, is_consistent
from runar.views.summary import Clock, MetricSummary, RunSummary
from runar.views.summary_fold import fold

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


class ColumnPoints(Sequence[MetricsLogged]):
    """The points of MetricsColumns records (and like events) folded as one group, in order.

    Stands where a list of MetricsLogged events would: ``steps`` is what the anomaly
    rules read of them; the events themselves are made only if something iterates.
    """

    def __init__(self, items: list[MetricsColumns | MetricsLogged], steps: list[int | None]):
        self.items = items
        self.steps = steps
        self._events: list[MetricsLogged] | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> MetricsLogged:  # type: ignore[override]
        return self.events()[i]

    def __iter__(self) -> Iterator[MetricsLogged]:
        return iter(self.events())

    def events(self) -> list[MetricsLogged]:
        """The points as MetricsLogged events (made once, on first use)."""
        if self._events is None:
            self._events = list(chain.from_iterable(map(_events_of, self.items)))
        return self._events

    def clock(self, i: int) -> Clock:
        """Point ``i``'s (ts, writer, seq)."""
        for item in self.items:
            n = len(item.stamps) if type(item) is MetricsColumns else 1
            if i < n:
                return (
                    (item.stamps[i], item.writer, item.seq + i)
                    if type(item) is MetricsColumns
                    else (item.ts, item.writer, item.seq)
                )
            i -= n
        raise IndexError(i)


def _events_of(item: MetricsColumns | MetricsLogged) -> list[MetricsLogged]:
    if type(item) is MetricsColumns:
        return expand_columns(item) or []  # type: ignore[arg-type]
    return [item]  # type: ignore[list-item]


def unfold_columns(events: list[AnyEvent | MetricsColumns | Unknown]) -> list[AnyEvent | Unknown]:
    """The events with every MetricsColumns record as its MetricsLogged events."""
    from runar.metric_columns import expand_all

    return expand_all(events)  # type: ignore[return-value,arg-type]


def columns_foldable(events: list[AnyEvent | MetricsColumns | Unknown]) -> bool:
    """Can fold_batch take this batch's columns records as they are?

    Yes when every metric event of the batch has the same keys and no workflow step, no
    output is there to derive more points from, and each record is consistent: the
    anomaly rules then see one group in log order, as they would the events.
    """
    shape: list[str] | None = None
    found = False
    for event in events:
        kind = type(event)
        if kind is MetricsColumns:
            if event.workflow_step or not is_consistent(event):  # type: ignore[union-attr,arg-type]
                return False
            keys = event.keys  # type: ignore[union-attr]
            found = True
        elif kind is MetricsLogged:
            if event.workflow_step:  # type: ignore[union-attr]
                return False
            keys = list(event.values)  # type: ignore[union-attr]
        elif kind is OutputCaptured:
            return False
        else:
            continue
        if shape is None:
            shape = keys
        elif keys != shape:
            return False
    return found


def fold_columns(summary: RunSummary, events: list[AnyEvent | MetricsColumns | Unknown]) -> Folded:
    """fold_batch for a batch columns_foldable() accepts, straight from the records' lists."""
    import numpy as np

    folded = Folded()
    items: list[MetricsColumns | MetricsLogged] = []
    others: list[AnyEvent | Unknown] = []
    for event in events:
        if type(event) is MetricsColumns or type(event) is MetricsLogged:
            items.append(event)  # type: ignore[arg-type]
        else:
            fold(summary, event)  # type: ignore[arg-type]
            others.append(event)  # type: ignore[arg-type]
    first = items[0]
    keys = tuple(first.keys if type(first) is MetricsColumns else first.values)  # type: ignore[union-attr]
    stamps: list[int] = []
    steps: list[int | None] = []
    parts: list[list[list[float] | tuple[float, ...]]] = [[] for _ in keys]  # per key
    for item in items:
        if type(item) is MetricsColumns:
            stamps += item.stamps
            steps += item.steps
            for part, column in zip(parts, item.columns, strict=True):
                part.append(column)
        else:
            stamps.append(item.ts)
            steps.append(item.step)  # type: ignore[union-attr]
            for part, value in zip(parts, item.values.values(), strict=True):  # type: ignore[union-attr]
                part.append((value,))
    n = len(stamps)
    columns = [np.fromiter(chain.from_iterable(part), dtype=np.float64, count=n) for part in parts]
    points = ColumnPoints(items, steps)
    first, last, latest = _span(stamps)
    if len(latest) == 1:
        top = latest[0]
        top_clock = points.clock(top)
    else:  # same nanosecond: writer and seq break the tie, as in clock order
        top_clock, top = max((points.clock(i), i) for i in latest)
    top_values = [float(c[top]) for c in columns]
    _fold_columns(summary, keys, columns, (first, last), top_clock, steps[top], top_values)
    summary.events += n
    folded.shapes[keys] = (points, stamps, columns)  # type: ignore[assignment]
    folded.plain, folded.others = points, others  # type: ignore[assignment]
    return folded


def _span(stamps: list[int]) -> tuple[int, int, list[int]]:
    """The first stamped (non-zero) and the last ts, and the indexes holding the last.

    In numpy: four passes over a million Python ints cost more than converting them once.
    """
    import numpy as np

    try:
        ts = np.fromiter(stamps, dtype=np.int64, count=len(stamps))
    except OverflowError:  # a ts beyond int64, from a hostile file
        last = max(stamps)
        first = min(filter(None, stamps), default=0)
        return first, last, [i for i, t in enumerate(stamps) if t == last]
    last = int(ts.max())
    first = int(ts.min())
    if not first:  # ts 0 means "never stamped", as in fold()
        stamped = ts[ts != 0]
        first = int(stamped.min()) if stamped.size else 0
    return first, last, np.flatnonzero(ts == last).tolist()


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
    last = max(stamps)
    if stamps.count(last) == 1:
        top = group[stamps.index(last)]
    else:  # same nanosecond: writer and seq break the tie, as in clock order
        top = max((e for e in group if e.ts == last), key=lambda e: (e.writer, e.seq))
    columns = _columns(group, keys)
    top_values = [top.values[key] for key in keys]
    first = min(stamps)
    if not first:  # ts 0 means "never stamped", as in fold()
        first = min(filter(None, stamps), default=0)
    top_clock: Clock = (top.ts, top.writer, top.seq)
    _fold_columns(summary, keys, columns, (first, last), top_clock, top.step, top_values)
    summary.events += len(group)
    return stamps, columns


def _fold_columns(
    summary: RunSummary,
    keys: tuple[str, ...],
    columns: list[npt.NDArray[np.float64]],
    span: tuple[int, int],
    top_clock: Clock,
    top_step: int | None,
    top_values: list[float],
) -> None:
    """Fold a group's points (not counted here as events).

    Args:
        span: the first non-zero and the last ts of the points.
        top_clock: the clock of the point latest in clock order; ``top_*`` are its own.
    """
    first, last = span
    if first:
        summary.first_ts = first if not summary.first_ts else min(summary.first_ts, first)
    summary.last_ts = max(summary.last_ts, last)
    for key, column, top_value in zip(keys, columns, top_values, strict=True):
        low, high = _low_high(column)
        current = summary.metrics.get(key)
        if current is not None and current.derived:
            current = None  # logged by the script: its printed copy goes (see summary.py)
        if current is None:
            summary.metrics[key] = MetricSummary(
                top_value, top_step, top_clock, low, high, len(column)
            )
            continue
        current.count += len(column)
        if tuple(current.last_clock) < top_clock:
            current.last, current.last_step, current.last_clock = top_value, top_step, top_clock
        if low is not None:
            current.min = low if current.min is None else min(current.min, low)
            current.max = high if current.max is None else max(current.max, high)  # type: ignore[type-var]


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
