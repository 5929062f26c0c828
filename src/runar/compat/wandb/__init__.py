"""wandb's API, recording into runar: ``import runar.compat.wandb as wandb``.

Under ``runar --as wandb train.py`` a script's own ``import wandb`` loads this module.
Nothing goes over a network; runs, metrics, config and files land in the runar store:

- ``init()`` starts (or, under the runner, joins) a run; ``project``, ``entity``,
  ``group``, ``job_type``, ``id``, ``resume`` and any other simple keyword become config
  under ``_wandb.``; ``tags`` are tags and ``notes`` a note. ``mode="disabled"``,
  ``WANDB_MODE=disabled`` or ``WANDB_DISABLED=true`` record nothing but return working
  objects. A second ``init()`` returns the active run unless ``reinit`` asks for a new one.
- ``log()`` follows wandb's step and commit rules (``history.py``); numbers are metrics,
  media and other values artifacts under ``media/<key>/<step>``, strings notes.
- ``config`` records every change; ``summary`` numbers are the run's summary, other
  summary values config under ``_wandb.summary.``; ``define_metric`` is recorded as
  config under ``_wandb.define_metric.<name>``.
- ``save()`` and ``log_artifact()`` store files as artifacts; ``watch()``, ``login()``
  and ``log_code()`` accept their arguments and do nothing.
"""

from __future__ import annotations

import atexit
import os
import sys

from runar.compat.wandb import errors
from runar.compat.wandb.artifact import Artifact
from runar.compat.wandb.config import Config, as_dict
from runar.compat.wandb.errors import Error, UsageError
from runar.compat.wandb.media import (
    Audio,
    Histogram,
    Html,
    Image,
    Molecule,
    Object3D,
    Table,
    Video,
)
from runar.compat.wandb.run import Metric, Run
from runar.compat.wandb.settings import Settings
from runar.compat.wandb.summary import Summary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Final

__version__ = "0.0.0+runar"
DISABLED_VALUES: Final = ("true", "1", "yes")
REINIT_NEW: Final = (True, "finish_previous", "create_new")

run: Run | None = None
config: Config = Config()
summary: Summary = Summary()

__all__ = [
    "Artifact",
    "Audio",
    "Config",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "Metric",
    "Molecule",
    "Object3D",
    "Run",
    "Settings",
    "Summary",
    "Table",
    "UsageError",
    "Video",
    "alert",
    "config",
    "define_metric",
    "errors",
    "finish",
    "init",
    "log",
    "log_artifact",
    "login",
    "run",
    "save",
    "summary",
    "unwatch",
    "use_artifact",
    "watch",
]


def _disabled(mode: str | None, settings: Settings | None) -> bool:
    mode = mode or (settings.mode if settings is not None else None) or os.environ.get("WANDB_MODE")
    return mode == "disabled" or os.environ.get("WANDB_DISABLED", "").lower() in DISABLED_VALUES


def _simple(values: Mapping[str, object]) -> dict[str, object]:
    return {
        k: v for k, v in values.items() if v is not None and isinstance(v, (str, int, float, bool))
    }


def init(
    *,
    project: str | None = None,
    entity: str | None = None,
    name: str | None = None,
    config: object = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    id: str | None = None,  # wandb's own keyword
    settings: Settings | dict[str, Any] | None = None,
    config_exclude_keys: Iterable[str] | None = None,
    config_include_keys: Iterable[str] | None = None,
    allow_val_change: bool | None = None,
    **kwargs: Any,
) -> Run:
    """Start a run (under ``runar``, the runner's run first); any other keyword is accepted."""
    global run
    if isinstance(settings, dict):
        settings = Settings(**settings)
    if run is not None and not run._finished:
        if reinit not in REINIT_NEW:
            return run  # as wandb does in a script: the active run, arguments ignored
        run.finish()
    values = as_dict(config)
    if config_include_keys is not None:
        values = {k: v for k, v in values.items() if k in set(config_include_keys)}
    if config_exclude_keys is not None:
        values = {k: v for k, v in values.items() if k not in set(config_exclude_keys)}
    recorder = None
    if not _disabled(mode, settings):
        from runar.sdk.current import init as runar_init

        recorder = runar_init(name, tags=tags or (), project=project)  # W&B's project is ours
        meta = {"project": project, "entity": entity, "group": group, "job_type": job_type}
        meta = _simple({**meta, "id": id, **kwargs})
        if meta:
            recorder.config({"_wandb": meta})
        if notes:
            recorder.note(notes)
    started = Run(
        recorder,
        project=project,
        entity=entity,
        group=group,
        job_type=job_type,
        notes=notes,
        tags=tuple(tags or ()),
        mode="disabled" if recorder is None else mode,
        run_id=id if recorder is None else None,
        on_finish=_forget,
    )
    if name and recorder is None:
        started._name = name
    started.config.update(values, allow_val_change=True)
    _activate(started)
    return started


def _activate(started: Run) -> None:
    global run, config, summary
    run, config, summary = started, started.config, started.summary
    # after the SDK's own exit hook, so that ours runs first (atexit is last-in first-out)
    atexit.unregister(_flush_at_exit)
    atexit.register(_flush_at_exit)


def _forget(finished: Run) -> None:
    global run, config, summary
    if run is finished:
        run, config, summary = None, Config(), Summary()


def _flush_at_exit() -> None:
    """At exit: commit a pending row and store changed files before the run is finished."""
    if run is not None and not run._finished:
        try:
            run.flush_pending()
        except Exception as exc:  # exiting anyway; say what was lost
            sys.stderr.write(f"runar: wandb's last records were not stored ({exc})\n")


def _active(call: str) -> Run:
    if run is None:
        raise UsageError(f"call wandb.init() before wandb.{call}()")
    return run


def log(
    data: Mapping[str, object],
    step: int | None = None,
    commit: bool | None = None,
    sync: bool | None = None,
) -> None:
    """Log a dict of values to the active run."""
    _active("log").log(data, step=step, commit=commit)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the active run, if any."""
    if run is not None:
        run.finish(exit_code=exit_code)


def define_metric(name: str, *args: Any, **kwargs: Any) -> Metric:
    """Record how a metric is meant to be read (``step_metric``, ``summary``, ``goal``)."""
    return _active("define_metric").define_metric(name, *args, **kwargs)


def save(
    glob_str: str | os.PathLike[str] | None = None,
    base_path: str | None = None,
    policy: str = "live",
) -> list[str]:
    """Store matching files as artifacts."""
    return _active("save").save(glob_str, base_path, policy)


def log_artifact(artifact_or_path: Any, *args: Any, **kwargs: Any) -> Artifact:
    """Store an Artifact, a file or a folder."""
    return _active("log_artifact").log_artifact(artifact_or_path, *args, **kwargs)


def use_artifact(artifact_or_name: object, *args: Any, **kwargs: Any) -> Artifact:
    return _active("use_artifact").use_artifact(artifact_or_name, *args, **kwargs)


def alert(title: str, text: str, *args: Any, **kwargs: Any) -> None:
    """Record an alert as a note."""
    _active("alert").alert(title, text)


def watch(models: object = None, *args: Any, **kwargs: Any) -> None:
    """Accepted; gradients are not recorded."""


def unwatch(models: object = None) -> None:
    """Accepted."""


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to; runar records locally."""
    return True


def setup(*args: Any, **kwargs: Any) -> None:
    """Accepted."""


def teardown(*args: Any, **kwargs: Any) -> None:
    """Accepted."""


def termlog(string: str = "", *args: Any, **kwargs: Any) -> None:
    sys.stderr.write(f"wandb: {string}\n")


termwarn = termerror = termlog
