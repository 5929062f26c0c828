"""One `runar sweep` from start to finish: plan, record, run the points, report the best."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from runar.errors import UsageError
from runar.ids import new_run_id, short
from runar.store import Store
from runar.sweep import record
from runar.sweep.asha import DEFAULT_ETA, AshaRule
from runar.sweep.driver import Backend, EarlyStop, SweepSettings, drive, point_command
from runar.sweep.plan import Point, SweepPlan, make_plan
from runar.sweep.progress import Progress, best_of, missing_metric, mode_of, run_result
from runar.sweep.stopping import parse_rule
from runar.sweep.sweep_file import load as load_file

LOCAL: Final = "local"
NAME_TOKEN_CHARS: Final = 4


@dataclass
class SweepRequest:
    """A parsed `runar sweep` invocation."""

    argv: list[str] = field(default_factory=list)  # as typed, for the record
    script: str | None = None
    module: bool = False  # -m MODULE: ``script`` is a module
    command: bool = False  # `runar sweep -- PROGRAM ARGS`: ``script`` is any program
    args: list[str] = field(default_factory=list)
    file: Path | None = None
    resume: str | None = None
    name: str | None = None
    jobs: int | None = None
    random: int | None = None
    seed: int | None = None
    metric: str | None = None
    mode: str | None = None
    max_failures: int | None = None
    dry_run: bool = False
    verbose: bool = False
    on: str | None = None  # local, ray or ray://HOST:PORT; --resume: as recorded
    gpus_per_run: float | None = None
    cpus_per_run: float | None = None
    runner_options: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    stop: str | None = None
    asha: int | None = None  # --asha STEP: the first rung
    asha_eta: int | None = None
    grace_s: float | None = None


def _plan(request: SweepRequest) -> tuple[SweepPlan, str | None, int | None, int | None]:
    """The plan, and the name, jobs and max failures a sweep file may set."""
    script, args = request.script, list(request.args)
    method, count, seed = "random" if request.random else "grid", request.random, request.seed
    metric, mode, name, jobs, failures = request.metric, request.mode, None, None, None
    fixed = 0
    if request.file is not None:
        spec = load_file(request.file)
        if script is not None:
            raise UsageError("give the script in the sweep file or on the command line, not both")
        script, args = spec.script, spec.args + args
        if not request.random:
            method, count = spec.method, spec.count
        seed = seed if seed is not None else spec.seed
        metric, mode = metric or spec.metric, mode or spec.mode
        name, jobs, failures, fixed = spec.name, spec.jobs, spec.max_failures, spec.fixed
    if script is None:
        raise UsageError(
            "no script given; e.g. 'runar sweep train.py --lr 1e-3,1e-4' "
            "or 'runar sweep -- bash run.sh --lr 1e-3,1e-4'"
        )
    plan = make_plan(script, args, method, count, seed, metric, mode, fixed)  # type: ignore[arg-type]
    plan.module = request.module and request.file is None
    plan.command = request.command and request.file is None
    return plan, name, jobs, failures


def _backend(request: SweepRequest, jobs: int | None, points: int) -> tuple[Backend, int]:
    """Where the points run, and how many at once."""
    if request.on == LOCAL:
        from runar.sweep.local import LocalBackend, gpu_ids

        gpus = gpu_ids()
        slots = jobs or max(1, len(gpus))
        echo = _echo if request.verbose else None
        return LocalBackend(slots, gpus, echo), slots
    from runar.sweep.ray_executor import RayBackend

    backend = RayBackend(request.on, request.cpus_per_run, request.gpus_per_run, request.verbose)
    return backend, jobs or points  # Ray queues what its resources cannot run yet


def _stem(plan: SweepPlan) -> str:
    """What a sweep is named after by default: ``train`` for train.py or pkg.train."""
    if plan.command:  # `bash run.sh` is named after run.sh, `./train` after train
        named = [t for t in plan.template.tokens if not t.startswith("-") and Path(t).is_file()]
        return Path(named[0] if named else plan.script).stem
    return plan.script.rsplit(".", 1)[-1] if plan.module else Path(plan.script).stem


def _echo(index: int, line: str) -> None:
    """-v: a point's output line, prefixed; of a line a progress bar redrew with \r, what a
    terminal would show last (raw, each \r sent the cursor back over the prefix)."""
    shown = line.rstrip("\r").rsplit("\r", 1)[-1]
    if not shown.strip():
        return  # a bar cleared before a print: nothing a terminal would keep
    try:
        sys.stdout.write(f"[{index}] {shown}\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def print_plan(plan_points: list[Point], settings: SweepSettings, where: str) -> None:
    """--dry-run: every point and the command it would run."""
    print(f"sweep {settings.name}: {len(plan_points)} point(s) on {where}")
    for point in plan_points:
        print(f"  {point.index:>3}  {shlex.join(point_command(settings, point)[2:])}")


def _stops(
    stop: str | None, asha: int | None, eta: int | None, metric: str | None, mode: str | None
) -> list[EarlyStop]:
    """The early-stopping rules asked for: --stop and --asha."""
    rules: list[EarlyStop] = [parse_rule(stop)] if stop else []
    if asha is not None:
        if not metric:
            raise UsageError("--asha ranks points by one metric: give it with --metric KEY")
        rules.append(AshaRule(metric, mode_of(metric, mode), asha, eta or DEFAULT_ETA))
    return rules


def run(request: SweepRequest, store: Store | None = None) -> int:
    """Run a new sweep, or resume one; the shell exit code."""
    store = store or Store.discover()
    if request.resume is not None:
        return _resume(request, store)
    request.on = request.on or LOCAL
    plan, file_name, file_jobs, file_failures = _plan(request)
    stops = _stops(request.stop, request.asha, request.asha_eta, plan.metric, plan.mode)
    name = request.name or file_name or f"{_stem(plan)}-{new_run_id()[:NAME_TOKEN_CHARS]}"
    jobs = request.jobs or file_jobs
    settings = SweepSettings(
        name=name,
        script=plan.script,
        module=plan.module,
        command=plan.command,
        runner_options=list(request.runner_options),
        env=dict(request.extra_env),
        max_failures=request.max_failures if request.max_failures is not None else file_failures,
        stops=stops,
    )
    if request.grace_s is not None:
        settings.grace_s = request.grace_s
    if request.dry_run:
        where = f"Ray ({request.on})" if request.on != LOCAL else "this machine"
        print_plan(plan.points, settings, where)
        return 0
    if plan.command:
        if shutil.which(plan.script) is None and not Path(plan.script).is_file():
            raise UsageError(f"no such command: {plan.script!r}; check the name or the PATH")
    elif not plan.module and not Path(plan.script).is_file():
        raise UsageError(f"no such script: {plan.script!r} in {Path.cwd()}; check the path")
    record.check_new_name(store, name)
    backend, settings.jobs = _backend(request, jobs, len(plan.points))
    recorder = record.SweepRecorder.create(
        store, plan, name, request.argv, _recorded_settings(request, settings)
    )
    progress = Progress(store, name, len(plan.points), plan.metric, plan.mode)
    progress.note(
        f"{len(plan.points)} point(s) of {plan.script} on {backend.describe()}; "
        f"sweep {short(recorder.sweep_id)}"
    )
    return _run_points(store, plan.points, backend, recorder, settings, progress)


def _recorded_settings(request: SweepRequest, settings: SweepSettings) -> dict[str, object]:
    return {
        "name": settings.name,
        "jobs": settings.jobs,
        "on": request.on,
        "runner_options": settings.runner_options,
        "env": settings.env,  # RUNAR_REMOTE: where --resume records too
        "max_failures": settings.max_failures,
        "stop": request.stop,
        "asha": request.asha,
        "asha_eta": request.asha_eta,
        "gpus_per_run": request.gpus_per_run,
        "cpus_per_run": request.cpus_per_run,
    }


def _run_points(
    store: Store,
    points: list[Point],
    backend: Backend,
    recorder: record.SweepRecorder,
    settings: SweepSettings,
    progress: Progress,
) -> int:
    try:
        outcome = drive(store, points, backend, recorder, settings, progress)
        recorder.finish(outcome.status, outcome.error)
    finally:
        recorder.close()
        backend.close()
    progress.note(progress.summary().removeprefix(f"sweep {settings.name}: "))
    best = best_of(progress.results, progress.metric, progress.mode, progress.run_ids)
    if best is not None:
        progress.note(
            f"best: point {best.index}, run {short(best.run_id)}, {best.metric}={best.value:.6g}"
        )
    unlogged = missing_metric(progress.results, progress.metric) if progress.metric else None
    if unlogged:
        progress.note(unlogged)
    if outcome.status == "killed":
        progress.note(f"interrupted; continue with: runar sweep --resume {settings.name}")
    elif outcome.error:
        progress.note(outcome.error)
    progress.note(f"all points: runar sweep show {settings.name}")
    return outcome.exit_code


def _resume(request: SweepRequest, store: Store) -> int:
    """Run again the points of a sweep that never completed."""
    if not store.exists:
        raise UsageError(f"no sweep matches '{request.resume}': this store has no runs yet")
    sweep_id = record.find_sweep(store, request.resume or "")
    state = record.fold_record(store, sweep_id)
    record.apply_runs(state, runs_of_sweep(store, sweep_id))
    if state.status == "running":
        raise UsageError(f"sweep {state.name} is still running; wait for it or stop it first")
    config = state.config
    pending = state.pending()
    request.on = request.on or config.get("on") or LOCAL
    if request.cpus_per_run is None:
        request.cpus_per_run = config.get("cpus_per_run")
    if request.gpus_per_run is None:
        request.gpus_per_run = config.get("gpus_per_run")
    name = state.name
    settings = SweepSettings(
        name=name,
        script=str(config.get("script", "")),
        module=bool(config.get("module")),
        command=bool(config.get("command")),
        runner_options=request.runner_options or list(config.get("runner_options") or []),
        env=request.extra_env or dict(config.get("env") or {}),
        max_failures=request.max_failures
        if request.max_failures is not None
        else config.get("max_failures"),
        cwd=Path(state.cwd) if state.cwd and Path(state.cwd).is_dir() else Path.cwd(),
        stops=_stops(
            request.stop or config.get("stop"),
            request.asha if request.asha is not None else config.get("asha"),
            request.asha_eta or config.get("asha_eta"),
            config.get("metric"),
            config.get("mode"),
        ),
    )
    if request.grace_s is not None:
        settings.grace_s = request.grace_s
    if not pending:
        print(f"sweep {name}: all {len(state.points)} point(s) completed; nothing to resume")
        return 0
    judged = [  # the runs whose results stand: their values fill --asha's rungs again
        p.run_id
        for p in state.points.values()
        if p.status in (record.DONE, record.STOPPED) and p.run_id
    ]
    for rule in settings.stops:
        if isinstance(rule, AshaRule):
            rule.restore(store, judged)
    if request.dry_run:
        print_plan(pending, settings, "this machine" if request.on == LOCAL else request.on)
        return 0
    backend, settings.jobs = _backend(request, request.jobs or config.get("jobs"), len(pending))
    recorder = record.SweepRecorder(store, sweep_id)
    progress = Progress(store, name, len(state.points), config.get("metric"), config.get("mode"))
    for point in state.points.values():  # the earlier points count for the best
        if point.status in (record.DONE, record.STOPPED) and point.run_id:
            found = run_result(store, point.run_id)
            if found is not None:
                progress.results[point.index] = (point.status, found[1])
                progress.run_ids[point.index] = point.run_id
    progress.note(
        f"resuming {len(pending)} of {len(state.points)} point(s) on {backend.describe()}"
    )
    old_cwd = Path.cwd()
    os.chdir(settings.cwd)  # the points run where the sweep first ran
    try:
        return _run_points(store, pending, backend, recorder, settings, progress)
    finally:
        os.chdir(old_cwd)


def runs_of_sweep(store: Store, sweep_id: str) -> dict[int, list[tuple[str, str]]]:
    """Point index → (run id, effective status) of every run that names this sweep."""
    from runar.views import open_views

    found: dict[int, list[tuple[str, str]]] = {}
    with open_views(store) as views:
        for s in views.runs():
            started = s.started
            if started is None or started.sweep_id != sweep_id or started.sweep_point is None:
                continue
            found.setdefault(started.sweep_point, []).append((s.run_id, views.status(s)))
    for runs in found.values():
        runs.reverse()  # oldest first: a later completed run is the one a point keeps
    return found
