"""Drive a sweep: launch points on a backend, watch them end, record it all, stop cleanly.

The backend (local.py: child processes; ray_executor.py: Ray tasks) only starts,
polls and signals points; what a point became is read from its own run in the store
(completed, failed, killed), which is the truth. Ctrl-C or SIGTERM: no new point
starts, running points get SIGINT, then SIGTERM after ``grace_s``, then SIGKILL; a
second Ctrl-C skips to the next step. Queued points stay queued in the record.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final, Protocol

from runar.errors import InvalidQuery
from runar.ids import new_run_id
from runar.runner.request import ENV_SWEEP, ENV_SWEEP_ID, ENV_SWEEP_POINT, ENV_SWEEP_RUN_ID
from runar.store import ENV_STORE, Store
from runar.sweep.plan import Point
from runar.sweep.progress import Progress
from runar.sweep.record import SweepRecorder

POLL_S: Final = 0.05
GRACE_S: Final = 10.0  # after SIGINT, before SIGTERM (and again before SIGKILL)
STOP_CHECK_S: Final = 1.0  # how often --stop rules read the running points' metrics
EXIT_INTERRUPTED: Final = 130


class EarlyStop(Protocol):
    """A rule that picks running points to stop (stopping.py --stop, asha.py --asha)."""

    def check(self, store: Store, running: Sequence[Running]) -> list[tuple[Any, str]]: ...


class Backend(Protocol):
    """Where points run."""

    def describe(self) -> str: ...
    def launch(self, index: int, command: list[str], env: dict[str, str], cwd: Path) -> Any: ...
    def poll(self, job: Any) -> int | None: ...
    def signal(self, job: Any, signum: int) -> None: ...
    def kill(self, job: Any) -> None: ...
    def reason(self, job: Any) -> str | None: ...
    def close(self) -> None: ...


@dataclass
class SweepSettings:
    """How the points run."""

    name: str
    script: str
    module: bool = False  # -m: ``script`` is a module
    command: bool = False  # `-- PROGRAM ARGS`: ``script`` is any program (runar -- PROGRAM)
    jobs: int = 1
    runner_options: list[str] = field(default_factory=list)  # -t TAG, --no-parse, --remote
    max_failures: int | None = None
    grace_s: float = GRACE_S
    cwd: Path = field(default_factory=Path.cwd)
    stops: list[EarlyStop] = field(default_factory=list)  # --stop, --asha
    env: dict[str, str] = field(default_factory=dict)  # more for every runner (RUNAR_REMOTE)


@dataclass
class Running:
    point: Point
    run_id: str
    job: Any
    started: float
    stopped: bool = False  # a --stop or --asha rule signalled it


@dataclass
class Outcome:
    """How the sweep ended."""

    status: str  # completed | killed | failed
    statuses: dict[int, str]
    error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.status == "killed":
            return EXIT_INTERRUPTED
        # a point a --stop or --asha rule ended is what the rule was asked to do, not a failure
        return 0 if all(s in ("completed", "stopped") for s in self.statuses.values()) else 1


class _Interrupts:
    """Ctrl-C and SIGTERM as a counter the loop reads; the previous handlers come back after."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1

    def __enter__(self) -> _Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def point_command(settings: SweepSettings, point: Point) -> list[str]:
    """The runner invocation of one point: a normal `runar` run, named and tagged."""
    return [
        sys.executable,
        "-m",
        "runar",
        "-n",
        f"{settings.name}-{point.index}",
        "-t",
        f"sweep:{settings.name}",
        *settings.runner_options,
        *(["-m"] if settings.module else []),
        *(["--"] if settings.command else []),
        settings.script,
        *point.args,
    ]


def point_env(
    store: Store, sweep_id: str, settings: SweepSettings, point: Point, run_id: str
) -> dict[str, str]:
    """The runner's environment: where to record, and which sweep point it is."""
    name = settings.name
    return {
        **os.environ,
        **settings.env,
        ENV_STORE: str(store.root),
        ENV_SWEEP: name,
        ENV_SWEEP_ID: sweep_id,
        ENV_SWEEP_POINT: str(point.index),
        ENV_SWEEP_RUN_ID: run_id,
    }


class _Driver:
    """The loop's state: what is queued, what runs, what ended, and how far a stop got."""

    def __init__(
        self,
        store: Store,
        points: list[Point],
        backend: Backend,
        recorder: SweepRecorder,
        settings: SweepSettings,
        progress: Progress,
    ) -> None:
        self.store, self.backend, self.recorder = store, backend, recorder
        self.settings, self.progress = settings, progress
        self.queue = list(points)
        self.running: list[Running] = []
        self.statuses: dict[int, str] = {}
        self.failures = 0
        self.error: str | None = None  # --max-failures reached: start no more
        self.stopping_since: float | None = None
        self.escalation = 0  # 0 nothing sent, 1 SIGINT, 2 SIGTERM, 3 SIGKILL
        self.next_stop_check = time.monotonic() + STOP_CHECK_S

    def reap(self, now: float) -> None:
        """Record the points whose runner ended."""
        for r in list(self.running):
            code = self.backend.poll(r.job)
            if code is None:
                continue
            self.running.remove(r)
            status = self.progress.finished(
                r.point,
                r.run_id,
                code,
                now - r.started,
                self.backend.reason(r.job),
                stopping=self.stopping_since is not None,
                stopped=r.stopped,
            )
            self.statuses[r.point.index] = status
            never_ran = status == "queued"  # a Ray task stopped before it started
            self.recorder.point(r.point.index, status, r.run_id)
            if never_ran:
                self.queue.insert(0, r.point)
            if status == "failed":
                self._failed()

    def _failed(self) -> None:
        self.failures += 1
        limit = self.settings.max_failures
        if limit is None or self.failures < limit or self.error is not None:
            return
        self.error = f"{self.failures} point(s) failed (--max-failures {limit})"
        if self.queue:
            self.progress.note(f"{self.error}: starting no more")

    def launch(self, now: float) -> None:
        """Start queued points while workers are free."""
        while self.queue and len(self.running) < self.settings.jobs:
            point = self.queue.pop(0)
            run_id = new_run_id()
            job = self.backend.launch(
                point.index,
                point_command(self.settings, point),
                point_env(self.store, self.recorder.sweep_id, self.settings, point, run_id),
                self.settings.cwd,
            )
            self.recorder.point(point.index, "running", run_id)
            self.running.append(Running(point, run_id, job, now))
            self.progress.started(point, run_id)

    def escalate(self, now: float, interrupts: int) -> None:
        """SIGINT at once, SIGTERM after a grace period, then SIGKILL; each Ctrl-C hurries."""
        if self.stopping_since is None:
            self.stopping_since = now
            self.progress.note(
                f"stopping: {len(self.running)} running point(s) get SIGINT; "
                "queued points stay queued (Ctrl-C again to hurry)"
            )
        waited = int((now - self.stopping_since) / self.settings.grace_s)
        wanted = min(1 + max(interrupts - 1, waited), 3)
        while self.escalation < wanted:
            self.escalation += 1
            for r in self.running:
                if self.escalation == 3:
                    self.backend.kill(r.job)
                else:
                    signum = signal.SIGINT if self.escalation == 1 else signal.SIGTERM
                    self.backend.signal(r.job, signum)

    def check_stops(self, now: float) -> None:
        """--stop, --asha: signal the running points the rules pick."""
        if not self.settings.stops or now < self.next_stop_check:
            return
        self.next_stop_check = now + STOP_CHECK_S
        for rule in list(self.settings.stops):
            try:
                picked = rule.check(self.store, [x for x in self.running if not x.stopped])
            except InvalidQuery as exc:  # a value the points log in a type the rule cannot take
                self.settings.stops.remove(rule)
                self.progress.note(f"{exc}; this --stop rule is dropped, the points go on")
                continue
            for r, why in picked:
                r.stopped = True
                self.backend.signal(r.job, signal.SIGINT)
                self.progress.note(f"point {r.point.index}: {why}; stopping it")

    def outcome(self) -> Outcome:
        if self.stopping_since is not None:
            return Outcome("killed", self.statuses, "interrupted")
        if self.error is not None:
            return Outcome("failed", self.statuses, self.error)
        return Outcome("completed", self.statuses)


def drive(
    store: Store,
    points: list[Point],
    backend: Backend,
    recorder: SweepRecorder,
    settings: SweepSettings,
    progress: Progress,
) -> Outcome:
    """Run ``points`` to the end, or until interrupted or too many fail."""
    d = _Driver(store, points, backend, recorder, settings, progress)
    with _Interrupts() as interrupts:
        while d.running or (d.queue and d.stopping_since is None and d.error is None):
            now = time.monotonic()
            d.reap(now)  # first: a worker freed now starts its next point in this round
            if interrupts.count:
                d.escalate(now, interrupts.count)
            elif d.error is None:
                d.launch(now)
            if d.stopping_since is None:
                d.check_stops(now)
            progress.tick(len(d.running), len(d.queue))
            if d.running:
                time.sleep(POLL_S)
    return d.outcome()


def short_params(point: Point) -> str:
    """``--lr 1e-3 --seed 0``: what distinguishes a point, for a progress line."""
    return " ".join(f"{k} {v}" for k, v in point.params.items())
