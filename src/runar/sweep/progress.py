"""What a sweep shows while it runs: one line per point that ends, and a live status line.

On a terminal the status line (done/running/failed/queued and the best so far) is
redrawn in place on stderr; elsewhere only the per-point lines are printed, so a log
file stays readable. A point's status and metrics come from its own run in the views.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, TextIO

from runar.ids import short
from runar.store import Store
from runar.sweep.plan import Point
from runar.views.summary import lower_is_better

REDRAW_S: Final = 0.5
FAILURE_CHARS: Final = 100  # why a point failed, on its progress line
METRIC_HINTS: Final = ("val/loss", "val_loss", "loss", "val/acc", "val_acc", "acc", "accuracy")


@dataclass
class Best:
    """The best point so far by one metric."""

    metric: str
    mode: str
    value: float
    index: int
    run_id: str


def resolve_metric(metric: str, keys: Iterable[str]) -> str:
    """The logged key ``metric`` names: itself, without ``metrics.``, or the one key equal to
    it but for case (PyTorch's MNIST example prints ``Loss:``, which records ``Loss``)."""
    found = set(keys)
    name = metric if metric in found else metric.removeprefix("metrics.")
    if name in found:
        return name
    folded = [k for k in found if k.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else metric


def pick_metric(metrics: list[dict[str, float]]) -> str | None:
    """The metric to rank by when none was given: a usual name, else the first one seen."""
    keys = [k for m in metrics for k in m]
    for hint in METRIC_HINTS:
        found = resolve_metric(hint, keys)
        if found in keys:
            return found
    return keys[0] if keys else None


def missing_metric(results: dict[int, tuple[str, dict[str, float]]], metric: str) -> str | None:
    """What to say when no completed point logged ``metric``: the keys they did log."""
    done = [m for status, m in results.values() if status == "completed"]
    keys = sorted({k for m in done for k in m})
    if not done or resolve_metric(metric, keys) in keys:
        return None
    logged = ", ".join(keys[:8]) + (" …" if len(keys) > 8 else "") if keys else "no metric"
    return f"no completed point logged --metric {metric!r}; they logged: {logged}"


def mode_of(metric: str, mode: str | None) -> str:
    return mode or ("min" if lower_is_better(metric) else "max")


def best_of(
    results: dict[int, tuple[str, dict[str, float]]],
    metric: str | None,
    mode: str | None,
    run_ids: dict[int, str],
) -> Best | None:
    """The best completed point; NaN and missing values never win."""
    done = {i: m for i, (status, m) in results.items() if status == "completed"}
    metric = metric or pick_metric(list(done.values()))
    if metric is None:
        return None
    metric = resolve_metric(metric, {k for m in done.values() for k in m})
    chosen = mode_of(metric, mode)
    best: Best | None = None
    for index, values in sorted(done.items()):
        value = values.get(metric)
        if value is None or value != value:
            continue
        better = best is None or (value < best.value if chosen == "min" else value > best.value)
        if better:
            best = Best(metric, chosen, value, index, run_ids.get(index, ""))
    return best


def run_result(store: Store, run_id: str) -> tuple[str, dict[str, float]] | None:
    """A run's effective status and last metrics, or None when it was never recorded."""
    from runar.errors import RunNotFound
    from runar.views import open_views

    if not store.run_dir(run_id).exists():
        return None
    with open_views(store) as views:
        try:
            summary = views.get(run_id)
        except RunNotFound:
            return None
        return views.status(summary), summary.last_metrics()


def run_alarms(store: Store, run_id: str) -> list[str]:
    """The messages of a run's warnings and errors (``loss went NaN at step 200``), in order."""
    from runar.errors import RunNotFound
    from runar.views import open_views
    from runar.views.anomaly_watch import alarming

    with open_views(store, catch_up=False) as views:
        try:
            return [a.message for a in alarming(views.anomalies(run_id))]
        except RunNotFound:
            return []


def run_failure(store: Store, run_id: str) -> str | None:
    """Why a failed run failed, in one short line: ``ValueError: Unknown config key: lr``."""
    from runar.errors import RunNotFound
    from runar.views import open_views

    with open_views(store, catch_up=False) as views:
        try:
            finished = views.get(run_id).finished
        except RunNotFound:
            return None
    if finished is None:
        return None
    lines = [line.strip() for line in (finished.error or "").splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    kind = finished.error_type or ""
    text = last if not kind or last.startswith(kind) else f"{kind}: {last}" if last else kind
    if not text and finished.exit_code is not None:
        text = f"exit code {finished.exit_code}"
    return text[: FAILURE_CHARS - 1] + "…" if len(text) > FAILURE_CHARS else text or None


@dataclass
class Progress:
    """Counts, the best so far, and the lines that say so."""

    store: Store
    name: str
    total: int
    metric: str | None = None
    mode: str | None = None
    done_before: int = 0  # points completed by an earlier run of this sweep (--resume)
    out: TextIO = field(default_factory=lambda: sys.stderr)
    results: dict[int, tuple[str, dict[str, float]]] = field(default_factory=dict)
    run_ids: dict[int, str] = field(default_factory=dict)
    _live: bool = False
    _drawn: float = 0.0
    _line: str = ""

    def __post_init__(self) -> None:
        self._live = self.out.isatty()

    def _write(self, text: str) -> None:
        try:
            if self._live and self._line:
                self.out.write("\r\033[K")
            self.out.write(text + "\n")
            self._line = ""
            self.out.flush()
        except (OSError, ValueError):
            pass  # a closed terminal must not stop the sweep

    def note(self, text: str) -> None:
        self._write(f"sweep {self.name}: {text}")

    def started(self, point: Point, run_id: str) -> None:
        self.run_ids[point.index] = run_id
        if not self._live:
            params = " ".join(f"{k} {v}" for k, v in point.params.items())
            self._write(f"  ▶ point {point.index} ({params}) as run {short(run_id)}")

    def finished(
        self,
        point: Point,
        run_id: str,
        code: int,
        seconds: float,
        reason: str | None,
        stopping: bool = False,
        stopped: bool = False,
    ) -> str:
        """Record how a point ended (from its run) and print it; the status.

        Args:
            stopping: the sweep is being stopped; a point whose run never began (a Ray task
                cancelled while it waited for resources) stays queued.
            stopped: a --stop or --asha rule signalled it: unless its run completed anyway,
                the point is ``stopped`` (its run says ``killed``).
        """
        found = run_result(self.store, run_id)
        if found is None and stopping:
            self._write(f"  · point {point.index} never started; it stays queued")
            return "queued"
        if found is None:
            status, metrics = "failed", {}
        else:
            status, metrics = found
            if status == "running":  # the runner is gone; its log says no more
                status = "completed" if code == 0 else "failed"
        if stopped and status != "completed":
            status = "stopped"
        self.results[point.index] = (status, metrics)
        self.run_ids[point.index] = run_id
        mark = {"completed": "✓", "failed": "✗", "killed": "■", "stopped": "■"}.get(status, "·")
        params = " ".join(f"{k} {v}" for k, v in point.params.items())
        best = best_of(self.results, self.metric, self.mode, self.run_ids)
        value = metrics.get(best.metric) if best is not None else None
        shown = f"  {best.metric}={value:.6g}" if best is not None and value is not None else ""
        why = f"  ({reason})" if found is None and reason else ""
        if found is not None and status == "failed":  # the first thing a user asks
            failure = run_failure(self.store, run_id)
            why = f"  ({failure})" if failure else ""
        alarms = run_alarms(self.store, run_id) if found is not None else []
        if alarms:  # a point that "completed" with a NaN loss is not a result to trust
            more = f" (+{len(alarms) - 1} more)" if len(alarms) > 1 else ""
            why += f"  ⚠ {alarms[0]}{more}"
        self._write(
            f"  {mark} point {point.index} ({params}) {status} in {seconds:.1f}s"
            f"{shown}  run {short(run_id)}{why}"
        )
        return status

    def counts(self, running: int, queued: int) -> dict[str, int]:
        statuses = [s for s, _ in self.results.values()]
        return {
            "done": self.done_before + statuses.count("completed"),
            "running": running,
            "failed": sum(s in ("failed", "crashed") for s in statuses),
            "killed": statuses.count("killed"),  # Ctrl-C
            "stopped": statuses.count("stopped"),  # --stop, --asha
            "queued": queued,
        }

    def status_line(self, running: int, queued: int) -> str:
        c = self.counts(running, queued)
        parts = [f"{c['done']}/{self.total} done", f"{c['running']} running"]
        parts += [f"{c['failed']} failed"] if c["failed"] else []
        parts += [f"{c['killed']} killed"] if c["killed"] else []
        parts += [f"{c['stopped']} stopped"] if c["stopped"] else []
        parts += [f"{c['queued']} queued"]
        best = best_of(self.results, self.metric, self.mode, self.run_ids)
        if best is not None:
            parts.append(f"best {best.metric}={best.value:.6g} ({best.mode}) at point {best.index}")
        return f"sweep {self.name}: " + " · ".join(parts)

    def tick(self, running: int, queued: int) -> None:
        """Redraw the live line on a terminal, at most every REDRAW_S."""
        now = time.monotonic()
        if not self._live or now - self._drawn < REDRAW_S:
            return
        self._drawn = now
        line = self.status_line(running, queued)
        try:
            self.out.write("\r\033[K" + line)
            self.out.flush()
            self._line = line
        except (OSError, ValueError):
            pass

    def summary(self, running: int = 0, queued: int | None = None) -> str:
        """The closing line; what never started counts as queued (--max-failures, Ctrl-C)."""
        if queued is None:
            queued = max(self.total - len(self.results) - running, 0)
        if self._live and self._line:
            with contextlib.suppress(OSError, ValueError):
                self.out.write("\r\033[K")
            self._line = ""
        return self.status_line(running, queued)
