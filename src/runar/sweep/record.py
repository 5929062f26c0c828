"""A sweep's own record: a run-like folder runs/<sweep_id>/ written by a ``sweep`` writer.

    RunStarted(source="sweep", name=NAME, argv=the sweep's command line, …)
    ConfigSet(values=the plan: script, args, space, method, count, seed, metric, mode, …)
    SweepPoint(index, status="queued", params, args)        once per point, at plan time
    SweepPoint(index, status="running", run_id)             when the point's run starts
    SweepPoint(index, status=completed|failed|killed|stopped, run_id)  when it ends
    RunFinished(status=completed|killed|failed)             when the sweep stops

It lives under runs/ so rsync, `runar sync` and a union of two stores carry it; the views
fold it as a run whose ``is_sweep_record`` is true, which `runar ls` and the dashboards
leave out. `runar sweep --resume` adds a writer to the same folder. The points' own runs
name the sweep in their RunStarted (``sweep``, ``sweep_id``, ``sweep_point``), so a point
whose run completed counts as done even if the sweep was killed before writing so.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Final

from runar.errors import RunNotFound, UsageError
from runar.events import (
    ConfigSet,
    RunFinished,
    RunStarted,
    SweepPoint,
    WriterOpened,
)
from runar.ids import host_name, new_run_id, resolve, short
from runar.journal import JournalWriter, read_run
from runar.runner import provenance
from runar.store import Store
from runar.sweep.plan import Point, SweepPlan
from runar.views.liveness import pid_alive

SWEEP_SOURCE: Final = "sweep"
SWEEP_ROLE: Final = "sweep"
DONE: Final = "completed"
STOPPED: Final = "stopped"  # by a --stop or --asha rule, on purpose
ENDED: Final = frozenset({"completed", "failed", "killed", "stopped", "crashed"})


class SweepRecorder:
    """Appends a sweep's events to its record; flushed durably at every point change."""

    def __init__(self, store: Store, sweep_id: str) -> None:
        self.sweep_id = sweep_id
        self.writer = JournalWriter(store.run_dir(sweep_id), sweep_id, role=SWEEP_ROLE)

    @classmethod
    def create(
        cls, store: Store, plan: SweepPlan, name: str, argv: list[str], settings: dict[str, Any]
    ) -> SweepRecorder:
        """A new sweep's record: its start, its plan and every point, queued."""
        from runar.redact import redact_argv

        store.create()
        recorder = cls(store, new_run_id())
        w = recorder.writer
        w.append(
            RunStarted(
                run_id=recorder.sweep_id,
                name=name,
                source=SWEEP_SOURCE,
                argv=redact_argv(argv),
                command=redact_argv([sys.executable, "-m", "runar", *argv]),
                cwd=os.getcwd(),
                host=host_name(),
                pid=os.getpid(),
                user=provenance.user_name(),
                python=provenance.python_version(),
                sweep=name,
            )
        )
        w.append(ConfigSet(values={**plan.describe(), **settings}))
        for point in plan.points:
            w.append(
                SweepPoint(index=point.index, status="queued", params=point.params, args=point.args)
            )
        w.flush(durable=True)
        return recorder

    def point(self, index: int, status: str, run_id: str | None = None) -> None:
        self.writer.append(SweepPoint(index=index, status=status, run_id=run_id))
        # an end is kept durably at once; a start need not be: the point's own run names
        # its sweep and point, so a lost "running" costs nothing --resume needs
        self.writer.flush(durable=status != "running")

    def finish(self, status: str, error: str | None = None) -> None:
        self.writer.append(RunFinished(status=status, error=error))  # type: ignore[arg-type]
        self.writer.flush(durable=True)

    def close(self) -> None:
        self.writer.close()


@dataclass
class PointState:
    """One point as the record (and its runs) tell it."""

    index: int
    params: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    status: str = "queued"
    run_id: str | None = None  # the latest run of this point
    runs: list[str] = field(default_factory=list)  # every run tried, oldest first


@dataclass
class SweepState:
    """A sweep folded from its record."""

    sweep_id: str
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    points: dict[int, PointState] = field(default_factory=dict)
    status: str = "running"
    created_ts: int = 0
    ended_ts: int | None = None
    argv: list[str] = field(default_factory=list)
    cwd: str = ""

    def pending(self) -> list[Point]:
        """Points that never completed, to run again on --resume; a point a --stop or
        --asha rule stopped was judged, and running it again would undo the judgement."""
        return [
            Point(p.index, p.params, p.args)
            for p in sorted(self.points.values(), key=lambda p: p.index)
            if p.status not in (DONE, STOPPED)
        ]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for p in self.points.values():
            found[p.status] = found.get(p.status, 0) + 1
        return found


def fold_record(store: Store, sweep_id: str) -> SweepState:
    """The sweep as its record says, read from the raw log (a few hundred events)."""
    state = SweepState(sweep_id)
    finished: tuple[int, str] | None = None  # (ts, status)
    last_point_ts = 0
    writers: list[tuple[str, int]] = []
    for event in read_run(store.run_dir(sweep_id)).events:
        match event:
            case RunStarted():
                if not state.created_ts or event.ts < state.created_ts:
                    state.name, state.created_ts = event.name or "", event.ts
                    state.argv, state.cwd = list(event.argv), event.cwd
            case ConfigSet(values=values):
                state.config.update(values)
            case SweepPoint():
                point = state.points.setdefault(event.index, PointState(event.index))
                if event.params:
                    point.params = dict(event.params)
                if event.args:
                    point.args = list(event.args)
                point.status = event.status
                if event.status == "queued" and event.run_id in point.runs:
                    point.runs.remove(event.run_id)  # submitted, then cancelled before it ran
                    point.run_id = point.runs[-1] if point.runs else None
                elif event.run_id and event.run_id not in point.runs:
                    point.runs.append(event.run_id)
                    point.run_id = event.run_id
                last_point_ts = max(last_point_ts, event.ts)
            case RunFinished(status=status):
                if finished is None or event.ts >= finished[0]:
                    finished = (event.ts, status)
            case WriterOpened(host=host, pid=pid):
                writers.append((host, pid))
            case _:
                pass
    if finished is not None and finished[0] >= last_point_ts:
        state.status, state.ended_ts = finished[1], finished[0]
    else:
        here = host_name()
        alive = any(host != here or pid_alive(pid) for host, pid in writers)
        state.status = "running" if alive else "crashed"
        if not alive:
            for point in state.points.values():
                if point.status == "running":
                    point.status = "crashed"
    return state


def apply_runs(state: SweepState, statuses: dict[int, list[tuple[str, str]]]) -> None:
    """Let the points' own runs correct the record: a run that completed completes its point.

    Args:
        statuses: point index → (run id, effective status) of the runs naming this sweep.
    """
    for index, runs in statuses.items():
        point = state.points.get(index)
        if point is None:
            continue
        for run_id, status in runs:
            if run_id not in point.runs:
                point.runs.append(run_id)
            stopped = point.status == STOPPED and status == "killed"  # by --stop or --asha
            if status == DONE or (run_id == point.run_id and status in ENDED and not stopped):
                point.status, point.run_id = status, run_id
            if point.status == DONE:
                break


def find_sweep(store: Store, ref: str) -> str:
    """A sweep's id from its name, id or id prefix; RunNotFound lists none."""
    from runar.views import open_views

    with open_views(store) as views:
        sweeps = views.runs(sweeps=True)
    ids = [s.run_id for s in sweeps]
    names: dict[str, list[str]] = {}
    for s in sweeps:
        names.setdefault(s.display_name, []).append(s.run_id)
    try:
        return resolve(ref, ids, names)
    except RunNotFound:
        raise RunNotFound(f"no sweep matches '{ref}'; see 'runar sweep ls'") from None


def check_new_name(store: Store, name: str) -> None:
    """A sweep's name picks its runs (`sweep:NAME`): refuse one that is taken."""
    if not store.exists:
        return
    from runar.views import open_views

    with open_views(store) as views:
        taken = [s for s in views.runs(sweeps=True) if s.display_name == name]
    if taken:
        raise UsageError(
            f"a sweep named '{name}' exists ({short(taken[0].run_id)}); "
            f"continue it with 'runar sweep --resume {name}' or choose another -n NAME"
        )
