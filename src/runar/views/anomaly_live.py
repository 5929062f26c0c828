"""Live notices while `runar train.py` runs: the projector's fold, every second, in memory.

The runner's process (never the training child) folds the run's new events with the same
``fold_segments`` the projector uses, into a summary and checkpoint of its own (the index
is not touched), and says once per (rule, key) when a warning or error first appears, a
stall (views/anomaly_read.py) included:

    runar: ⚠ loss went NaN at step 200
    runar: ⚠ no metric logged for 5 min while the process is alive
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from runar.store import Store
from runar.views.anomalies import SEVERITY, Anomaly

if TYPE_CHECKING:
    from runar.views.index import RunCheckpoint
    from runar.views.summary import RunSummary

LIVE_INTERVAL_S: Final = 0.5  # how often the run's new points are checked: flagged within 1 s
_YELLOW: Final = "\x1b[33m"
_RED: Final = "\x1b[31m"
_RESET: Final = "\x1b[0m"


def notice_line(anomaly: Anomaly, colour: bool = False) -> str:
    """The one line printed for an anomaly, like the runner's own lines."""
    text = f"runar: ⚠ {anomaly.message}"
    if not colour:
        return text
    code = _RED if anomaly.level == "error" else _YELLOW
    return f"{code}{text}{_RESET}"


class LiveNotices:
    """Watch one run's log from a thread; ``stop()`` checks a last time, then returns."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        emit: Callable[[Anomaly], None],
        interval: float = LIVE_INTERVAL_S,
    ) -> None:
        self.store, self.run_id, self.emit, self.interval = store, run_id, emit, interval
        self.summary: RunSummary | None = None  # made in the thread: the child starts sooner
        self.checkpoint: RunCheckpoint | None = None
        self.announced: set[tuple[str, str]] = set()
        self.failed: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="runar-anomalies", daemon=True)

    def start(self) -> LiveNotices:
        self._thread.start()
        return self

    def check(self) -> list[Anomaly]:
        """Fold what is new; the anomalies announced now (and emitted)."""
        with self._lock:
            if self.failed is not None:
                return []
            try:
                from runar.projector import fold_segments
                from runar.views.anomaly_read import stall_of
                from runar.views.index import RunCheckpoint
                from runar.views.summary import RunSummary

                if self.summary is None or self.checkpoint is None:
                    self.summary, self.checkpoint = RunSummary(run_id=self.run_id), RunCheckpoint()
                fold_segments(self.store, self.run_id, self.summary, self.checkpoint)
                # a hung data loader or a deadlock: the one anomaly that only the clock shows
                stall = stall_of(self.summary)
            except Exception as exc:  # a notice must never cost the run
                self.failed = f"{type(exc).__name__}: {exc}"
                return []
            fresh: list[Anomaly] = []
            for anomaly in [*self.summary.anomalies, *([stall] if stall else [])]:
                if SEVERITY.get(anomaly.level, 1) < SEVERITY["warn"]:
                    continue
                who = (anomaly.rule, anomaly.key)
                if who not in self.announced:
                    self.announced.add(who)
                    fresh.append(anomaly)
        for anomaly in fresh:
            self.emit(anomaly)
        return fresh

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.check()  # what the script logged just before it ended
