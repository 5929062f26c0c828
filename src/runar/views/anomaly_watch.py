"""The projector's hook: a batch of new events folded into a run's anomalies; alerts.

Which keys are watched and how: views/anomaly_config.py; the rules: views/anomaly_fold.py.
``AlertRaised`` events become anomalies too. The state lives in the projector's
checkpoint (``RunCheckpoint.anomalies``), the anomalies in ``RunSummary.anomalies``;
front-ends read ``anomalies_of(summary)`` (views/anomaly_read.py, which adds a stall).
The names callers import from here are re-exported from those modules.
"""

from __future__ import annotations

import gc
from operator import attrgetter, methodcaller
from typing import Final

import msgspec

from runar.events import AlertRaised, AnyEvent, MetricsLogged, Unknown, WatchSet
from runar.views.anomalies import SEVERITY, Anomaly, KeyState, WatchSpec
from runar.views.anomaly_config import (
    AnomalyConfigError,
    StoreWatch,
    check_watch,
    default_spec,
    spec_for,
    store_watch,
)
from runar.views.anomaly_fold import fold_points
from runar.views.anomaly_read import alarming, anomalies_of, stall_of, to_record
from runar.views.batch import Shapes
from runar.views.summary import RunSummary

__all__ = [
    "AnomalyConfigError",
    "AnomalyState",
    "StoreWatch",
    "alarming",
    "anomalies_of",
    "check_watch",
    "default_spec",
    "fold_anomalies",
    "stall_of",
    "store_watch",
    "to_record",
]

MAX_ALERTS: Final = 1000


class AnomalyState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The detector's memory for one run, kept in the projector's checkpoint."""

    watches: dict[str, WatchSet] = {}  # the latest runar.watch() per key
    keys: dict[str, KeyState] = {}
    specs: dict[str, WatchSpec | None] = {}  # resolved per key (None: not watched)
    config: str = ""  # StoreWatch.stamp the specs were resolved with


def fold_anomalies(
    summary: RunSummary,
    state: AnomalyState,
    events: list[AnyEvent | Unknown],
    derived: list[MetricsLogged],
    config: StoreWatch,
    shapes: Shapes | None = None,
) -> None:
    """Fold a batch of new events (in log order) and the points derived from output.

    Args:
        shapes: fold_many()'s column-wise groups of these events, reused as they are;
            the events it folds one by one (those of a workflow step) are grouped here.
    """
    paused = gc.isenabled()
    if paused:  # as codec.py does: the columns are never cyclic garbage, and collections
        gc.disable()  # walking a batch's many value dicts cost 3x the fold itself
    try:
        _fold_batch(summary, state, events, derived, config, shapes)
    finally:
        if paused:
            gc.enable()


def _fold_batch(
    summary: RunSummary,
    state: AnomalyState,
    events: list[AnyEvent | Unknown],
    derived: list[MetricsLogged],
    config: StoreWatch,
    shapes: Shapes | None,
) -> None:
    if state.config != config.stamp:  # the store's config.toml changed: new points follow it
        state.specs, state.config = {}, config.stamp
    if shapes is not None and sum(len(g) for g, _, _ in shapes.values()) == len(events):
        metric_events, rest = events, []  # all plain metric events, grouped already: no scan
    else:
        metric_events = [e for e in events if type(e) is MetricsLogged]  # type: ignore[misc]
        if len(metric_events) != len(events):
            for event in events:
                if type(event) is WatchSet:
                    _watch(state, event)  # type: ignore[arg-type]
                elif type(event) is AlertRaised:
                    _alert(summary, event)  # type: ignore[arg-type]
        if shapes is None:
            shapes, rest = {}, metric_events  # type: ignore[assignment]
        else:  # fold_many folds a workflow step's metrics one by one: they are grouped here
            rest = [e for e in metric_events if e.workflow_step]  # type: ignore[union-attr]
    printed: list[MetricsLogged] = []
    for event in derived:
        keys = tuple(k for k in event.values if _is_derived_key(summary, k))
        if keys:
            printed.append(event if len(keys) == len(event.values) else _only(event, keys))
    rest = [*rest, *printed]
    groups = dict(shapes)
    if rest:
        grouped: dict[tuple[str, ...], list[MetricsLogged]] = {}
        for event in rest:
            grouped.setdefault(tuple(event.values), []).append(event)
        for keys, group in grouped.items():
            columns = list(zip(*map(_dict_values, map(_values, group)), strict=True))
            if keys in groups:  # logged both inside and outside a workflow step
                old, old_stamps, old_columns = groups[keys]
                group = old + group
                columns = [a + b for a, b in zip(old_columns, columns, strict=True)]
                stamps = old_stamps + list(map(_ts, group[len(old) :]))
            else:
                stamps = list(map(_ts, group))
            groups[keys] = (group, stamps, columns)
    parts: dict[str, list[tuple[list[MetricsLogged], list[int], tuple[float, ...]]]] = {}
    for keys, (group, stamps, columns) in groups.items():
        for key, column in zip(keys, columns, strict=True):
            if spec_for(state, key, config) is not None:
                parts.setdefault(key, []).append((group, stamps, column))
    steps_of: dict[int, list[int | None]] = {}  # per group, read once for all its keys
    for key, found in parts.items():
        spec = spec_for(state, key, config)
        assert spec is not None
        if len(found) == 1 and len(groups) == 1 and not rest:  # rest joined: not in log order
            group, stamps, values = found[0]
            steps = steps_of.get(id(group)) or steps_of.setdefault(
                id(group), getattr(group, "steps", None) or list(map(_step, group))
            )  # batch.ColumnPoints carries its steps: its events are never made
        else:  # the key may be in groups of several shapes: its points back in log order
            order = {id(e): i for i, e in enumerate([*metric_events, *printed])}
            merged = sorted(
                (order[id(e)], e.step, v, ts)
                for group, stamps, column in found
                for e, ts, v in zip(group, stamps, column, strict=True)
            )
            _, steps, values, stamps = (list(c) for c in zip(*merged, strict=True))
        printed_key = _is_derived_key(summary, key)  # else its printed points were left out
        keystate = state.keys.get(key)
        if keystate is not None and keystate.printed and not printed_key:
            # the script logs this key too: its logged series replaces the printed one, as in
            # the summary, whichever writer's segment was folded first (order-independent)
            summary.anomalies[:] = [
                a for a in summary.anomalies if a.key != key or a.rule == "alert"
            ]
            keystate = None
        if keystate is None:
            keystate = state.keys[key] = KeyState(printed=printed_key)
        fold_points(keystate, key, spec, steps, values, stamps, summary.anomalies)
    # one canonical order, whatever the batching or the order keys were folded in
    summary.anomalies.sort(key=_canonical)


def _canonical(a: Anomaly) -> tuple[int, str, str, int, str]:
    return (a.first_step if a.first_step is not None else -1, a.key, a.rule, a.ts, a.message)


_values = attrgetter("values")
_step = attrgetter("step")
_ts = attrgetter("ts")
_dict_values = methodcaller("values")


def _is_derived_key(summary: RunSummary, key: str) -> bool:
    metric = summary.metrics.get(key)
    return metric is None or metric.derived  # a key the script logs is watched from the log


def _only(event: MetricsLogged, keys: tuple[str, ...]) -> MetricsLogged:
    return MetricsLogged(
        values={k: event.values[k] for k in keys},
        step=event.step,
        source=event.source,
        writer=event.writer,
        seq=event.seq,
        ts=event.ts,
    )


def _watch(state: AnomalyState, event: WatchSet) -> None:
    current = state.watches.get(event.key)
    if current is None or (current.ts, current.writer, current.seq) < (
        event.ts,
        event.writer,
        event.seq,
    ):
        state.watches[event.key] = event
        state.specs.pop(event.key, None)  # applies to the key's points from now on


def _alert(summary: RunSummary, event: AlertRaised) -> None:
    if sum(a.rule == "alert" for a in summary.anomalies) >= MAX_ALERTS:
        return
    level = event.level if event.level in SEVERITY else "warn"
    step = event.step  # None stays None: the run's latest step would depend on the batching
    text = f": {event.text}" if event.text else ""
    summary.anomalies.append(
        Anomaly(
            rule="alert",
            key=event.title,
            level=level,
            first_step=step,
            last_step=step,
            message=f"{event.title}{text}",
            ts=event.ts,
        )
    )
