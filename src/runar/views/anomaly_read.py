"""Anomalies as front-ends read them: the folded ones plus a ``stall`` judged now.

A stall depends on the clock, so it is never folded: it is computed each time a run is
read, for a run whose process is still alive (views/liveness.py) and that stopped logging.
``RUNAR_STALL_AFTER`` (seconds) replaces the 5-minute floor for whoever reads: a team
whose steps take a second can be told sooner.
"""

from __future__ import annotations

import os
import time
from typing import Any, Final

from runar.errors import UsageError
from runar.views.anomalies import LEVELS, SEVERITY, Anomaly
from runar.views.liveness import effective_status
from runar.views.summary import RunSummary

STALL_MIN_S: Final = 300.0  # never call a run stalled sooner than this after its last point
STALL_FACTOR: Final = 20.0  # … nor sooner than this many of its usual intervals
ENV_STALL_AFTER: Final = "RUNAR_STALL_AFTER"  # seconds: replaces STALL_MIN_S


def stall_after() -> float:
    """The least silence (s) that can be a stall: RUNAR_STALL_AFTER, else STALL_MIN_S."""
    text = os.environ.get(ENV_STALL_AFTER, "").strip()
    if not text:
        return STALL_MIN_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise UsageError(
            f"{ENV_STALL_AFTER}={text!r} is not a number of seconds; "
            f"set e.g. {ENV_STALL_AFTER}=600, or unset it for {STALL_MIN_S:.0f}"
        )
    return seconds


def silence(seconds: float) -> str:
    """'40 s', '12 min', '3.5 h': a stall's length as a person says it."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


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
    if quiet < max(stall_after(), STALL_FACTOR * usual):
        return None
    if effective_status(summary, now) != "running":
        return None
    step = max(
        (m.last_step for m in summary.metrics.values() if m.last_step is not None), default=None
    )
    return Anomaly(
        rule="stall",
        key="*",
        level=LEVELS["stall"],
        first_step=step,
        last_step=step,
        message=f"no metric logged for {silence(quiet)} while the process is alive",
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
