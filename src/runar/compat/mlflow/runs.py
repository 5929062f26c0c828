"""mlflow's fluent run stack: ``start_run`` / ``end_run`` / ``active_run``.

The outermost run is runar's current run (under ``runar``, the runner's run, renamed
by ``run_name`` unless ``runar -n`` named it); a run started with ``nested=True`` is a
runar run of its own whose ``parent_run`` is the enclosing mlflow run, so a
hyper-parameter search records one child run per trial, each with its own params and
metrics.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType
    from typing import Any, Final

    from runar.sdk.run import Run as Recorder

DEFAULT_EXPERIMENT_ID: Final = "0"
STATUSES: Final = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "killed"}


class Experiment:
    """What ``set_experiment`` returns."""

    def __init__(self, name: str, experiment_id: str) -> None:
        self.name = name
        self.experiment_id = experiment_id
        self.lifecycle_stage = "active"
        self.tags: dict[str, str] = {}
        self.artifact_location = ""


class RunInfo:
    """``run.info``: ids, name, status and times (ms), as mlflow names them."""

    def __init__(self, run_id: str, run_name: str, experiment_id: str, artifact_uri: str) -> None:
        self.run_id = run_id
        self.run_uuid = run_id
        self.run_name = run_name
        self.experiment_id = experiment_id
        self.status = "RUNNING"
        self.start_time = int(time.time() * 1000)
        self.end_time: int | None = None
        self.artifact_uri = artifact_uri
        self.lifecycle_stage = "active"
        self.user_id = os.environ.get("USER", "")


class RunData:
    """``run.data``: what this process logged, as mlflow keeps it (params as text)."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self.metrics: dict[str, float] = {}
        self.tags: dict[str, str] = {}


class ActiveRun:
    """``with mlflow.start_run() as run:``; ends the run on exit (FAILED on an exception)."""

    def __init__(self, recorder: Recorder, experiment_id: str) -> None:
        self.recorder = recorder
        uri = recorder.artifacts_dir.as_uri()
        self.info = RunInfo(recorder.run_id, recorder.name or recorder.run_id, experiment_id, uri)
        self.data = RunData()
        self._counters: dict[str, int] = {}  # per-key step for metrics logged without one

    def next_step(self, key: str, step: int | None) -> int:
        """The step a metric lands on: as given, else one past this key's last."""
        if step is None:
            step = self._counters.get(key, 0)
        self._counters[key] = max(self._counters.get(key, 0), int(step) + 1)
        return int(step)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            end(self, "FINISHED")
        else:
            end(self, "FAILED", exc)


_stack: list[ActiveRun] = []
_experiment: Experiment | None = None
_last: ActiveRun | None = None


def set_experiment(name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Remember the experiment; later runs record it as config ``_mlflow.experiment``."""
    global _experiment
    label = name or experiment_id or "Default"
    _experiment = Experiment(label, experiment_id or label)
    return _experiment


def experiment() -> Experiment | None:
    return _experiment


def start(
    run_name: str | None,
    nested: bool,
    experiment_id: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
    parent_run_id: str | None,
) -> ActiveRun:
    """Start a run the way ``mlflow.start_run`` does; see the module docstring."""
    from runar.compat.mlflow.exceptions import MlflowException

    if _stack and not nested and parent_run_id is None:
        raise MlflowException(
            f"Run with UUID {_stack[-1].info.run_id} is already active. To start a nested "
            "run, call start_run with nested=True"
        )
    if _stack or parent_run_id is not None:
        from runar.sdk.run import Run

        parent = parent_run_id or _stack[-1].info.run_id
        recorder = Run(run_name, parent_run=parent)
    else:
        from runar.sdk.current import init

        recorder = init(run_name)
    named = experiment_id or (_experiment.experiment_id if _experiment else None)
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    label = _experiment.name if _experiment else (env_name or experiment_id)
    if label:
        recorder.config({"_mlflow": {"experiment": label}})
    active = ActiveRun(recorder, named or DEFAULT_EXPERIMENT_ID)
    _stack.append(active)
    if description:
        recorder.note(description)
    if tags:
        from runar.compat.mlflow.tags import set_tags

        set_tags(active, tags)
    return active


def current() -> ActiveRun | None:
    return _stack[-1] if _stack else None


def current_or_start() -> ActiveRun:
    """The active run; mlflow starts one when a logging call comes first."""
    return _stack[-1] if _stack else start(None, False, None, None, None, None)


def last() -> ActiveRun | None:
    return _last


def end(
    run: ActiveRun | None = None, status: str = "FINISHED", exc: BaseException | None = None
) -> None:
    """End ``run`` (default: the innermost) and every run nested in it."""
    global _last
    if run is None:
        if not _stack:
            return
        run = _stack[-1]
    while run in _stack:
        inner = _stack.pop()
        _finish(inner, status, exc)
        _last = inner


def _finish(run: ActiveRun, status: str, exc: BaseException | None) -> None:
    recorder = run.recorder
    run.info.status = status if status in STATUSES else "FINISHED"
    run.info.end_time = int(time.time() * 1000)
    if not recorder.owned:
        # the runner's run: how it ended is the script's exit; say what mlflow was told
        if run.info.status != "FINISHED":
            recorder.note(f"mlflow.end_run(status={run.info.status!r})")
        recorder.finish()
    elif exc is not None:
        from runar.sdk import standalone

        recorder.fail(standalone.failure_of(exc))
    else:
        recorder.finish(STATUSES[run.info.status])
