"""Asynchronous successive halving (`--asha STEP`): stop the points that fall behind.

Rungs are at STEP, STEP·η, STEP·η², … (η = 3 unless --asha-eta). When a running point
has logged the ranking metric at or past a rung, its latest value is recorded for that
rung; if it is worse than the cutoff — the 1/η quantile of the values recorded there so
far (lower is better) or the 1 − 1/η one (higher is better) — the point is stopped like
a --stop match. The first point at a rung always continues, so a small sweep is never
cut short on no evidence. Values are the latest seen when the sweep looks (every
second), so a rung is judged within about a second of a point passing it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from runar.errors import UsageError
from runar.store import Store
from runar.sweep.progress import resolve_metric

if TYPE_CHECKING:
    import polars as pl

    from runar.sweep.driver import Running

DEFAULT_ETA: Final = 3


def quantile(values: Iterable[float], q: float) -> float:
    """The q-quantile with linear interpolation (numpy's default), without numpy."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _points(store: Store, run_id: str) -> pl.DataFrame | None:
    """A run's metric points (logged and printed), as frames.metrics reads them."""
    import polars as pl

    from runar.errors import RunNotFound
    from runar.journal.segment import list_segments
    from runar.views import open_views
    from runar.views.metric_cache import drop_shadowed, segment_points

    with open_views(store) as views:
        try:
            started = views.get(run_id).started
        except RunNotFound:
            return None
    parse_output = started is None or started.parse_output
    found = [
        segment_points(store, seg, parse_output, None)
        for seg in list_segments(store.run_dir(run_id))
    ]
    return drop_shadowed(pl.concat(found, how="vertical", rechunk=False)) if found else None


@dataclass
class AshaRule:
    """Halving by one metric; remembers what each rung has seen during this sweep."""

    metric: str
    mode: str  # min | max
    first_rung: int
    eta: int = DEFAULT_ETA
    rungs: dict[int, dict[str, float]] = field(default_factory=dict)  # step → run id → value

    def __post_init__(self) -> None:
        if self.first_rung < 1:
            raise UsageError(
                f"--asha takes the first rung's step, 1 or more, not {self.first_rung}"
            )
        if self.eta < 2:
            raise UsageError(f"--asha-eta must be 2 or more, not {self.eta}")

    def milestones(self, last_step: int) -> list[int]:
        """The rungs a point that logged ``last_step`` has passed, lowest first."""
        found, rung = [], self.first_rung
        while rung <= last_step:
            found.append(rung)
            rung *= self.eta
        return found

    def behind(self, value: float, recorded: Iterable[float]) -> bool:
        """Whether ``value`` is worse than the cutoff of the values recorded at a rung."""
        if self.mode == "min":
            return value > quantile(recorded, 1 / self.eta)
        return value < quantile(recorded, 1 - 1 / self.eta)

    def enter(self, run_id: str, value: float, last_step: int) -> list[int]:
        """Record a point's value at the rungs it newly passed; those rungs."""
        entered = []
        for rung in self.milestones(last_step):
            recorded = self.rungs.setdefault(rung, {})
            if run_id not in recorded:
                recorded[run_id] = value
                entered.append(rung)
        return entered

    def failed_rung(self, value: float, rungs: list[int]) -> int | None:
        """The first of ``rungs`` where ``value`` is behind what the rung has recorded."""
        return next((r for r in rungs if self.behind(value, self.rungs[r].values())), None)

    def judge(self, run_id: str, value: float, last_step: int) -> int | None:
        """Record a point's value at the rungs it newly passed; the rung it fails, if any."""
        return self.failed_rung(value, self.enter(run_id, value, last_step))

    def restore(self, store: Store, run_ids: list[str]) -> None:
        """The rungs as earlier runs of this sweep filled them (--resume): each run's value
        at a rung is its first logged at or past that step, as a live check would see it."""
        if not run_ids:
            return
        for run_id in run_ids:
            mine = _points(store, run_id)
            if mine is None:
                continue
            key = resolve_metric(self.metric, set(mine["key"].unique().to_list()))
            series = mine.filter((mine["key"] == key) & mine["step"].is_not_null()).sort("ts")
            pairs = [(s, v) for s, v in zip(series["step"], series["value"], strict=True)]
            if not pairs:
                continue
            for rung in self.milestones(max(s for s, _ in pairs)):
                value = next((v for s, v in pairs if s >= rung), None)
                if value is not None and value == value:
                    self.rungs.setdefault(rung, {}).setdefault(run_id, value)

    def check(self, store: Store, running: Sequence[Running]) -> list[tuple[Any, str]]:
        """The running points to stop now, each with why."""
        if not running:
            return []
        from runar.errors import RunNotFound
        from runar.views import open_views

        seen: list[tuple[Running, float, int, list[int]]] = []
        with open_views(store) as views:
            for r in running:
                try:
                    logged = views.get(r.run_id).metrics
                except RunNotFound:
                    continue
                metric = logged.get(resolve_metric(self.metric, logged))
                if metric is None or metric.last_step is None or metric.last != metric.last:
                    continue
                entered = self.enter(r.run_id, metric.last, metric.last_step)
                seen.append((r, metric.last, metric.last_step, entered))
        # judged once every point seen now is recorded: points that reach a rung together
        # are ranked together, not in the order they happen to be read (all went on before)
        found: list[tuple[Any, str]] = []
        for r, value, step, entered in seen:
            rung = self.failed_rung(value, entered)
            if rung is not None:
                why = (
                    f"{self.metric}={value:.6g} at step {step} is behind "
                    f"the best 1/{self.eta} at rung {rung} (--asha)"
                )
                found.append((r, why))
        return found
