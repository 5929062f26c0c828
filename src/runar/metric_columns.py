"""Runs of like metric events ⇄ one MetricsColumns record (segment format 2).

The writer's encoder collapses a run of consecutive MetricsLogged events that share
their keys, workflow step, source and writer (and have consecutive seqs) into one
record of column lists; every reader expands it back into exactly those events, and the
projector may fold it from its lists as they are. Framing and checksums are codec.py's.
"""

from __future__ import annotations

import math
from itertools import compress, pairwise, repeat
from operator import is_not, methodcaller, ne, or_, sub
from typing import Any, Final

import msgspec

from runar.events import AnyEvent, MetricsColumns, MetricsLogged, Unknown

# A run of at least this many like metric events becomes one MetricsColumns line ...
COLUMNS_MIN: Final = 4
# ... of at most this many: ~10 KiB for four keys, so damage still costs about a block.
COLUMNS_MAX: Final = 128

_dict_values: Final = methodcaller("values")
_astuple: Final = msgspec.structs.astuple


def finite_or_text(value: float) -> float | str:
    """A metric value as JSON can hold it: NaN and ±inf as the strings "nan"/"inf"/"-inf"."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _as_columns(
    values: tuple[dict[str, float], ...],
    steps: tuple[int | None, ...],
    stamps: tuple[int, ...],
    first: MetricsLogged,
    keys: tuple[str, ...],
) -> MetricsColumns | None:
    """One record for a run of like metric events; None when a value is not a plain number."""
    columns: list[Any] = list(zip(*map(_dict_values, values), strict=True))
    for k, column in enumerate(columns):
        # The writers give floats and ints only (the SDK's metric_values, the write API's
        # typed decode): a sum is the whole check, and is not finite if a NaN or inf is in
        try:
            finite = math.isfinite(sum(column))
        except (TypeError, OverflowError):  # not a number, or an int too large for a float
            return None
        if not finite:
            columns[k] = list(map(finite_or_text, column))
    return MetricsColumns(
        stamps=stamps,  # type: ignore[arg-type]  # tuples encode as lists
        steps=steps,  # type: ignore[arg-type]
        keys=keys,  # type: ignore[arg-type]
        columns=columns,
        workflow_step=first.workflow_step,
        source=first.source,
        writer=first.writer,
        seq=first.seq,
        ts=first.ts,
    )


def collapse_metrics(events: list[AnyEvent]) -> list[AnyEvent | MetricsColumns]:
    """The events with each run of like MetricsLogged events as one MetricsColumns record.

    Like: consecutive in the list, same writer and consecutive seqs, same keys in the
    same order, same workflow_step and source. Runs shorter than COLUMNS_MIN stay.
    Runs are found with C-level maps: a Python loop per event cost as much as encoding it.
    """
    n = len(events)
    if n < COLUMNS_MIN:
        return events  # type: ignore[return-value]
    others = list(compress(range(n), map(is_not, map(type, events), repeat(MetricsLogged))))
    if len(others) == n:
        return events  # type: ignore[return-value]
    out: list[AnyEvent | MetricsColumns] = []
    start = 0
    for stop in [*others, n]:
        if stop - start >= COLUMNS_MIN:
            _collapse_stretch(events[start:stop], out)  # type: ignore[arg-type]
        else:
            out.extend(events[start:stop])
        if stop < n:
            out.append(events[stop])
        start = stop + 1
    return out


def _collapse_stretch(stretch: list[MetricsLogged], out: list[AnyEvent | MetricsColumns]) -> None:
    """collapse_metrics for a stretch of MetricsLogged events only.

    Taken COLUMNS_MAX events at a time, each window's passes over the events run while
    they are in the CPU's cache: passes over a whole flush window ran from memory. One
    C call (astuple) per event reads all its fields: attribute getters cost 4x that.
    """
    for at in range(0, len(stretch), COLUMNS_MAX):
        window = stretch[at : at + COLUMNS_MAX]
        m = len(window)
        fields = map(_astuple, window)
        values, steps, where, source, writer, seqs, stamps = zip(*fields, strict=True)
        shapes = list(map(tuple, values))
        first = seqs[0]
        if (
            shapes.count(shapes[0]) == m
            and seqs == tuple(range(first, first + m))
            and where.count(where[0]) == m
            and source.count(source[0]) == m
            and writer.count(writer[0]) == m
        ):
            edges = [0, m]  # the common case: one run
        else:
            alike = list(zip(where, source, writer, strict=True))
            changed = map(
                or_,
                map(or_, map(ne, shapes[1:], shapes), map(ne, alike[1:], alike)),
                map(ne, map(sub, seqs[1:], seqs), repeat(1)),
            )
            edges = [0, *compress(range(1, m), changed), m]
        for a, b in pairwise(edges):
            record = None
            if b - a >= COLUMNS_MIN and shapes[a]:  # an empty dict stays a line
                record = _as_columns(values[a:b], steps[a:b], stamps[a:b], window[a], shapes[a])
            if record is None:
                out.extend(window[a:b])
            else:
                out.append(record)


def is_consistent(record: MetricsColumns) -> bool:
    """Do a record's lists agree in length, with distinct keys? (Else it reads as Unknown.)"""
    n = len(record.stamps)
    keys = record.keys
    columns = record.columns
    return bool(
        n
        and keys
        and len(record.steps) == n
        and len(columns) == len(keys)
        and len(set(keys)) == len(keys)
        and set(map(len, columns)) == {n}
    )


def as_unknown(record: MetricsColumns) -> Unknown:
    """An inconsistent record as the one Unknown event it reads as."""
    raw: dict[str, Any] = msgspec.to_builtins(record)
    return Unknown(raw=raw, writer=record.writer, seq=record.seq, ts=record.ts)


def expand_columns(record: MetricsColumns) -> list[MetricsLogged] | None:
    """The MetricsLogged events a columns record stands for; None when it is inconsistent."""
    if not is_consistent(record):
        return None
    keys = record.keys
    columns = record.columns
    writer, seq, where, source = record.writer, record.seq, record.workflow_step, record.source
    rows = zip(*columns, strict=True) if len(keys) > 1 else zip(columns[0])
    return [
        MetricsLogged(
            values=dict(zip(keys, row, strict=True)),
            step=step,
            workflow_step=where,
            source=source,
            writer=writer,
            seq=seq + i,
            ts=ts,
        )
        for i, (row, step, ts) in enumerate(zip(rows, record.steps, record.stamps, strict=True))
    ]


def expand_all(
    decoded: list[AnyEvent | MetricsColumns | Unknown | None],
) -> list[AnyEvent | Unknown | None]:
    """Decoded lines with every columns record replaced by its events, in place."""
    if MetricsColumns not in map(type, decoded):  # C-level: old segments pay ~nothing
        return decoded  # type: ignore[return-value]
    out: list[AnyEvent | Unknown | None] = []
    for event in decoded:
        if type(event) is MetricsColumns:
            events = expand_columns(event)
            if events is None:
                out.append(as_unknown(event))
            else:
                out.extend(events)
        else:
            out.append(event)  # type: ignore[arg-type]
    return out


def count_events(events: list[AnyEvent | MetricsColumns | Unknown]) -> int:
    """How many events a list stands for, a columns record counting for each of its own."""
    return len(events) + sum(len(e.stamps) - 1 for e in events if type(e) is MetricsColumns)
