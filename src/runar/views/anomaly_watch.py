"""What is watched for anomalies, and the projector's hook that folds them; stall at read time.

A key's ``WatchSpec`` comes from, in order of precedence: the script's ``runar.watch(key,
...)`` (a WatchSet event), the store's ``.runar/config.toml`` (``[anomalies."val/loss"]``,
glob patterns allowed), then the defaults: loss-like and grad-norm-like keys get the curve
rules, every key gets the non-finite rule. ``AlertRaised`` events become anomalies too.
The state lives in the projector's checkpoint (``RunCheckpoint.anomalies``), the
anomalies in ``RunSummary.anomalies``; front-ends read ``anomalies_of(summary)``.
"""

from __future__ import annotations

import fnmatch
import gc
import os
import time
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Any, Final

import msgspec

from runar.errors import RunarError
from runar.events import AlertRaised, AnyEvent, MetricsLogged, Unknown, WatchSet
from runar.store import Store
from runar.views.anomalies import (
    LEVELS,
    RULES,
    SEVERITY,
    Anomaly,
    KeyState,
    WatchSpec,
    fold_points,
)
from runar.views.batch import Shapes
from runar.views.liveness import effective_status
from runar.views.summary import RunSummary, lower_is_better

CONFIG_FILENAME: Final = "config.toml"  # in the store folder: .runar/config.toml
CONFIG_SECTION: Final = "anomalies"
LOSS_WORDS: Final = ("loss", "nll", "perplexity", "ppl", "mse", "rmse", "mae")
GRAD_WORDS: Final = ("grad_norm", "gradnorm", "grad-norm", "grad/norm", "gnorm", "grad_l2")
STALL_MIN_S: Final = 300.0  # never call a run stalled sooner than this after its last point
STALL_FACTOR: Final = 20.0  # … nor sooner than this many of its usual intervals
MAX_ALERTS: Final = 1000
_THRESHOLDS: Final = frozenset(WatchSpec.__struct_fields__) - {"mode", "rules"}


class AnomalyConfigError(RunarError):
    """The store's config.toml has an [anomalies] entry runar cannot read."""


class AnomalyState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The detector's memory for one run, kept in the projector's checkpoint."""

    watches: dict[str, WatchSet] = {}  # the latest runar.watch() per key
    keys: dict[str, KeyState] = {}
    specs: dict[str, WatchSpec | None] = {}  # resolved per key (None: not watched)
    config: str = ""  # StoreWatch.stamp the specs were resolved with


def is_loss_like(key: str) -> bool:
    name = key.lower().rsplit("/", 1)[-1]
    return any(word in name for word in LOSS_WORDS)


def is_grad_norm_like(key: str) -> bool:
    name = key.lower()
    return any(word in name for word in GRAD_WORDS)


def default_spec(key: str) -> WatchSpec:
    """Loss-like keys: every rule; grad-norm-like: non-finite and spikes; others: non-finite."""
    if is_grad_norm_like(key):
        return WatchSpec(mode="min", rules=("nonfinite", "spike"))
    if is_loss_like(key):
        return WatchSpec(mode="min")
    return WatchSpec(rules=("nonfinite",))


def _apply(spec: WatchSpec, mode: str | None, rules: Any, thresholds: dict[str, Any]) -> WatchSpec:
    changes: dict[str, Any] = {k: v for k, v in thresholds.items() if v is not None}
    if mode is not None:
        changes["mode"] = mode
    if rules is not None:
        changes["rules"] = tuple(r for r in RULES if r in rules)
    return msgspec.structs.replace(spec, **changes) if changes else spec


def check_watch(
    key: str, mode: str | None, rules: list[str] | None, thresholds: dict[str, Any]
) -> None:
    """Raise ValueError naming what is wrong with a watch request (SDK and config file)."""
    if mode not in (None, "min", "max"):
        raise ValueError(f"watch {key!r}: mode is 'min' or 'max', not {mode!r}")
    for rule in rules or ():
        if rule not in RULES:
            raise ValueError(f"watch {key!r}: unknown rule {rule!r}; rules are {', '.join(RULES)}")
    for name, value in thresholds.items():
        if name not in _THRESHOLDS:
            known = ", ".join(sorted(_THRESHOLDS))
            raise ValueError(f"watch {key!r}: unknown setting {name!r}; settings are {known}")
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"watch {key!r}: {name} must be a positive number, not {value!r}")


@dataclass(frozen=True)
class StoreWatch:
    """The [anomalies] table of a store's config.toml: key or glob pattern → settings."""

    entries: tuple[tuple[str, str | None, list[str] | None, dict[str, Any]], ...] = ()

    @property
    def stamp(self) -> str:
        """Identifies the settings: a run's resolved specs are redone when it changes."""
        return repr(self.entries) if self.entries else ""

    def apply(self, key: str, spec: WatchSpec) -> WatchSpec:
        for pattern, mode, rules, thresholds in self.entries:
            if pattern == key or fnmatch.fnmatchcase(key, pattern):
                spec = _apply(spec, mode, rules, thresholds)
        return spec


_cache: dict[Path, tuple[tuple[int, int], StoreWatch]] = {}


def config_path(store: Store) -> Path:
    return store.root / CONFIG_FILENAME


def store_watch(store: Store) -> StoreWatch:
    """The store's anomaly settings; AnomalyConfigError when the file cannot be read."""
    path = config_path(store)
    try:
        st = path.stat()
    except OSError:
        return StoreWatch()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    import tomllib  # only a store with a config file pays for the parser (~2 ms)

    try:
        table = tomllib.loads(path.read_text()).get(CONFIG_SECTION, {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AnomalyConfigError(f"cannot read {path}: {exc}; fix or remove the file") from exc
    entries = []
    for pattern, settings in table.items():
        if not isinstance(settings, dict):
            raise AnomalyConfigError(
                f'{path}: [{CONFIG_SECTION}."{pattern}"] must be a table, e.g. mode = "min"'
            )
        rest = dict(settings)
        mode, rules = rest.pop("mode", None), rest.pop("rules", None)
        try:
            check_watch(pattern, mode, rules, rest)
        except ValueError as exc:
            raise AnomalyConfigError(f"{path}: {exc}") from exc
        entries.append((pattern, mode, rules, rest))
    found = StoreWatch(tuple(entries))
    _cache[path] = (stamp, found)
    return found


def spec_for(state: AnomalyState, key: str, config: StoreWatch) -> WatchSpec | None:
    """The key's resolved spec; None when no rule is on for it."""
    if key in state.specs:
        return state.specs[key]
    spec = config.apply(key, default_spec(key))
    watch = state.watches.get(key)
    if watch is not None:
        if watch.rules is None and not spec.rules[1:]:  # watching a key turns its rules on
            mode = "min" if lower_is_better(key) else "max"
            spec = msgspec.structs.replace(spec, rules=RULES, mode=mode)
        spec = _apply(spec, watch.mode, watch.rules, watch.thresholds)
    resolved = spec if spec.rules else None
    state.specs[key] = resolved
    return resolved


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
        keystate = state.keys.get(key)
        if keystate is None:
            keystate = state.keys[key] = KeyState()
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


# -- read time ----------------------------------------------------------------------


def stall_of(summary: RunSummary, now_ns: int | None = None) -> Anomaly | None:
    """A running run (its process alive) that stopped logging metrics for too long."""
    if summary.finished is not None or not summary.metrics:
        return None
    clocks = [m.last_clock[0] for m in summary.metrics.values() if m.last_clock[0]]
    if not clocks:
        return None
    last = max(clocks)
    now = now_ns if now_ns is not None else time.time_ns()
    points = max(m.count for m in summary.metrics.values())
    start = summary.created_ts or summary.first_ts
    usual = (last - start) / max(points, 1) / 1e9 if start and last > start else 0.0
    quiet = (now - last) / 1e9
    if quiet < max(STALL_MIN_S, STALL_FACTOR * usual):
        return None
    if effective_status(summary, now) != "running":
        return None
    step = max(
        (m.last_step for m in summary.metrics.values() if m.last_step is not None), default=None
    )
    minutes = quiet / 60
    return Anomaly(
        rule="stall",
        key="*",
        level=LEVELS["stall"],
        first_step=step,
        last_step=step,
        message=f"no metric logged for {minutes:.0f} min while the process is alive",
        ts=last,
    )


def anomalies_of(summary: RunSummary, now_ns: int | None = None) -> list[Anomaly]:
    """Everything anomalous about a run, in step order: the folded rules, alerts and a stall."""
    found = list(summary.anomalies)
    stall = stall_of(summary, now_ns)
    if stall is not None:
        found.append(stall)
    return sorted(found, key=_order)


def _order(a: Anomaly) -> tuple[int, int, str, str]:
    return (a.first_step if a.first_step is not None else -1, a.ts, a.rule, a.key)


def alarming(anomalies: list[Anomaly]) -> list[Anomaly]:
    """The anomalies that are warnings or errors (a plateau is only information)."""
    return [a for a in anomalies if SEVERITY.get(a.level, 1) >= SEVERITY["warn"]]


def to_record(a: Anomaly) -> dict[str, Any]:
    """An anomaly as plain JSON-ready data (``--json``, the web API)."""
    value = a.value
    if value is not None and value != value:
        shown: float | str | None = "nan"
    elif value is not None and value in (float("inf"), float("-inf")):
        shown = "inf" if value > 0 else "-inf"
    else:
        shown = value
    return {
        "rule": a.rule,
        "key": a.key,
        "level": a.level,
        "first_step": a.first_step,
        "last_step": a.last_step,
        "message": a.message,
        "value": shown,
        "ts": a.ts,
    }


def env_disabled() -> bool:
    """RUNAR_WATCH=0 turns off the runner's live notices."""
    return os.environ.get("RUNAR_WATCH", "1").strip() in ("0", "false", "no", "off")
