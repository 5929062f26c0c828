"""mlflow's fluent API, recording into runar: ``import runar.compat.mlflow as mlflow``.

Under ``runar --as mlflow train.py`` a script's own ``import mlflow`` loads this module.
No tracking server, no ``mlruns/``; everything lands in the runar store:

- ``start_run()`` (a context manager) starts or, under ``runar``, joins runar's run;
  ``nested=True`` runs are child runs (``parent_run``) — see ``runs.py``. A logging
  call with no active run starts one, as mlflow does; runs still active at exit end
  as runar's own runs do: completed, or failed with an uncaught exception.
- ``log_param(s)`` → config (values kept as given); ``log_metric(s)`` → metrics at
  ``step``, at the time ``timestamp`` (ms) says when given. Without a step mlflow puts
  every value at step 0 and charts by time; runar charts by step, so each key counts
  its own stepless calls (0, 1, 2…): a single final value still lands at step 0.
- ``set_tag(s)`` → tags ``key:value`` (see ``tags.py``); ``set_experiment`` → config
  ``_mlflow.experiment``; ``log_artifact(s)``, ``log_dict``, ``log_text``,
  ``log_figure``, ``log_image``, ``log_table`` and ``<flavor>.log_model`` → artifacts.
- ``autolog()`` prints one line and records nothing; ``set_tracking_uri`` is remembered
  and otherwise ignored.
"""

from __future__ import annotations

import os

from runar.compat.mlflow import artifacts as _artifacts
from runar.compat.mlflow import exceptions
from runar.compat.mlflow import runs as _runs
from runar.compat.mlflow.exceptions import MlflowException
from runar.compat.mlflow.flavor import autolog
from runar.compat.mlflow.runs import ActiveRun, Experiment, RunData, RunInfo
from runar.compat.mlflow.tags import delete_tag as _delete_tag
from runar.compat.mlflow.tags import set_tags as _set_tags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType
    from typing import Any, Final

__version__ = "0.0.0+runar"
FLAVORS: Final = frozenset(
    {"pytorch", "sklearn", "keras", "tensorflow", "transformers", "lightgbm", "xgboost"}
)
_tracking_uri: str | None = None

__all__ = [
    "ActiveRun",
    "Experiment",
    "MlflowException",
    "RunData",
    "RunInfo",
    "active_run",
    "autolog",
    "delete_tag",
    "end_run",
    "exceptions",
    "get_artifact_uri",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]


def __getattr__(name: str) -> ModuleType:
    """``mlflow.pytorch`` and the other flavors load on first use, as in mlflow."""
    if name in FLAVORS:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mlflow' (runar) has no attribute {name!r}")


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Remembered only: runar records into its own store."""
    global _tracking_uri
    _tracking_uri = os.fspath(uri)


def get_tracking_uri() -> str:
    return _tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "runar"


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Name the experiment of later runs (config ``_mlflow.experiment``)."""
    return _runs.set_experiment(experiment_name, experiment_id)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    **kwargs: Any,
) -> ActiveRun:
    """Start a run (or a child run with ``nested=True``); use it as a context manager.

    ``run_id`` (resuming an mlflow run) is accepted and ignored: runar starts a new run.
    """
    return _runs.start(run_name, nested, experiment_id, tags, description, parent_run_id)


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run: FINISHED → completed, FAILED → failed, KILLED → killed."""
    _runs.end(None, status)


def active_run() -> ActiveRun | None:
    return _runs.current()


def last_active_run() -> ActiveRun | None:
    return _runs.current() or _runs.last()


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Record one parameter as config; returns the value, as mlflow does."""
    log_params({key: value})
    return value


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, **kwargs: Any) -> None:
    """Record parameters as config."""
    run = _runs.current_or_start()
    run.recorder.config(dict(params))
    run.data.params.update({str(k): str(v) for k, v in params.items()})


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    **kwargs: Any,
) -> None:
    """Record one metric at ``step``; ``timestamp`` (ms since the epoch) dates it."""
    log_metrics({key: value}, step=step, timestamp=timestamp)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    **kwargs: Any,
) -> None:
    """Record several metrics; each key without a step counts its own calls."""
    run = _runs.current_or_start()
    ts = int(timestamp) * 1_000_000 if timestamp else None
    by_step: dict[int, dict[str, float]] = {}
    for key, value in metrics.items():
        by_step.setdefault(run.next_step(key, step), {})[key] = value
    for at, values in by_step.items():
        run.recorder.log(values, at, ts=ts)
        run.data.metrics.update(values)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    """A tag ``key:value`` (``mlflow.runName`` renames, ``mlflow.note.content`` is a note)."""
    _set_tags(_runs.current_or_start(), {key: value})


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    _set_tags(_runs.current_or_start(), tags)


def delete_tag(key: str) -> None:
    _delete_tag(_runs.current_or_start(), key)


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, **kwargs: Any
) -> None:
    """Store a file (or folder) as artifact ``artifact_path/<its name>``."""
    _artifacts.log_artifact(_runs.current_or_start(), local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, **kwargs: Any
) -> None:
    """Store each entry of a folder under ``artifact_path``."""
    _artifacts.log_artifacts(_runs.current_or_start(), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, **kwargs: Any) -> None:
    _artifacts.log_text(_runs.current_or_start(), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, **kwargs: Any) -> None:
    _artifacts.log_dict(_runs.current_or_start(), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict | None = None, **kwargs: Any
) -> None:
    _artifacts.log_figure(_runs.current_or_start(), figure, artifact_file, save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    **kwargs: Any,
) -> None:
    """Store an image as ``artifact_file``, or as ``images/<key>/step_<n>.png`` by key."""
    if artifact_file is None:
        if key is None:
            raise MlflowException("log_image needs artifact_file or key")
        artifact_file = f"images/{key}/step_{step or 0}.png"
    _artifacts.log_image(_runs.current_or_start(), image, artifact_file)


def log_table(data: Any, artifact_file: str, **kwargs: Any) -> None:
    _artifacts.log_table(_runs.current_or_start(), data, artifact_file)


def log_input(*args: Any, **kwargs: Any) -> None:
    """Dataset lineage is not recorded; accepted so scripts run."""


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """Where the active run's artifacts are (a file:// URI)."""
    uri = _runs.current_or_start().info.artifact_uri
    return f"{uri}/{artifact_path}" if artifact_path else uri
