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
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final, Protocol

from runar.ids import new_run_id
from runar.runner.session import ENV_SWEEP, ENV_SWEEP_ID, ENV_SWEEP_POINT, ENV_SWEEP_RUN_ID
from runar.store import ENV_STORE, Store
from runar.sweep.plan import Point
from runar.sweep.progress import Progress
from runar.sweep.record import SweepRecorder
from runar.sweep.stopping import StopRule

POLL_S: Final = 0.1
GRACE_S: Final = 10.0  # after SIGINT, before SIGTERM (and again before SIGKILL)
STOP_CHECK_S: Final = 1.0  # how often --stop rules read the running points' metrics
EXIT_INTERRUPTED: Final = 130


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
    jobs: int = 1
    runner_options: list[str] = field(default_factory=list)  # -t TAG, --no-parse, --remote
    max_failures: int | None = None
    grace_s: float = GRACE_S
    cwd: Path = field(default_factory=Path.cwd)
    stop: StopRule | None = None
    env: dict[str, str] = field(default_factory=dict)  # more for every runner (RUNAR_REMOTE)


@dataclass
class Running:
    point: Point
    run_id: str
    job: Any
    started: float
    stopped: bool = False  # a --stop rule signalled it


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
        return 0 if all(s == "completed" for s in self.statuses.values()) else 1


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


def drive(
    store: Store,
    points: list[Point],
    backend: Backend,
    recorder: SweepRecorder,
    settings: SweepSettings,
    progress: Progress,
) -> Outcome:
    """Run ``points`` to the end, or until interrupted or too many fail."""
    queue = list(points)
    running: list[Running] = []
    statuses: dict[int, str] = {}
    failures = 0
    error: str | None = None
    stopping_since: float | None = None
    escalation = 0  # 0 nothing sent, 1 SIGINT sent, 2 SIGTERM sent, 3 SIGKILL sent
    next_stop_check = time.monotonic() + STOP_CHECK_S
    with _Interrupts() as interrupts:
        while queue or running:
            now = time.monotonic()
            if interrupts.count and stopping_since is None:
                stopping_since = now
                progress.note(
                    f"stopping: {len(running)} running point(s) get SIGINT; "
                    "queued points stay queued (Ctrl-C again to hurry)"
                )
            if stopping_since is not None:
                wanted = 1 + max(
                    interrupts.count - 1, int((now - stopping_since) / settings.grace_s)
                )
                while escalation < min(wanted, 3):
                    escalation += 1
                    for r in running:
                        if escalation == 3:
                            backend.kill(r.job)
                        else:
                            backend.signal(
                                r.job, signal.SIGINT if escalation == 1 else signal.SIGTERM
                            )
                if not running:
                    break
            elif error is None:
                while queue and len(running) < settings.jobs:
                    point = queue.pop(0)
                    run_id = new_run_id()
                    job = backend.launch(
                        point.index,
                        point_command(settings, point),
                        point_env(store, recorder.sweep_id, settings, point, run_id),
                        settings.cwd,
                    )
                    recorder.point(point.index, "running", run_id)
                    running.append(Running(point, run_id, job, now))
                    progress.started(point, run_id)
            if settings.stop is not None and stopping_since is None and now >= next_stop_check:
                next_stop_check = now + STOP_CHECK_S
                for r, why in settings.stop.check(store, [x for x in running if not x.stopped]):
                    r.stopped = True
                    backend.signal(r.job, signal.SIGINT)
                    progress.note(f"point {r.point.index}: {why}; stopping it")
            for r in list(running):
                code = backend.poll(r.job)
                if code is None:
                    continue
                running.remove(r)
                status = progress.finished(
                    r.point,
                    r.run_id,
                    code,
                    now - r.started,
                    backend.reason(r.job),
                    stopping=stopping_since is not None,
                )
                if r.stopped:
                    status = "stopped"
                statuses[r.point.index] = status
                recorder.point(r.point.index, status, r.run_id)
                if status == "failed":
                    failures += 1
                    if settings.max_failures is not None and failures >= settings.max_failures:
                        if error is None and queue:
                            progress.note(
                                f"{failures} point(s) failed (--max-failures "
                                f"{settings.max_failures}): starting no more"
                            )
                        error = (
                            f"{failures} point(s) failed (--max-failures {settings.max_failures})"
                        )
            if error is not None and not running:
                break
            progress.tick(len(running), len(queue))
            time.sleep(POLL_S)
    if stopping_since is not None:
        return Outcome("killed", statuses, "interrupted")
    if error is not None:
        return Outcome("failed", statuses, error)
    return Outcome("completed", statuses)


def short_params(point: Point) -> str:
    """``--lr 1e-3 --seed 0``: what distinguishes a point, for a progress line."""
    return " ".join(f"{k} {v}" for k, v in point.params.items())
