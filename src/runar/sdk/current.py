"""The module-level SDK: ``runar.log(...)`` and friends write to the current run.

The current run is the innermost active one; when there is none, the first call
joins the runner's run (``RUNAR_RUN_ID``/``RUNAR_DIR``) or, under plain ``python``,
starts a run of its own that finishes when the interpreter exits.
"""

from __future__ import annotations

from runar.sdk import run as _run
from runar.sdk.run import Run, StepScope, _active

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

_implicit: set[str] = set()  # ids of runs started by a module-level call, not by init()/Run


def current_run() -> Run:
    """The active run, starting (or joining) one on first use."""
    active = _run._active
    if active:
        return active[-1]
    with _run._lock:
        if _run._active:
            return _run._active[-1]
        started = Run()
        _implicit.add(started.run_id)
        return started


def log(values: Mapping[str, object], step: int | None = None) -> None:
    """Record numeric metrics, e.g. ``log({"loss": 0.5}, step=3)``."""
    (_active[-1] if _active else current_run()).log(values, step)


def config(values: Mapping[str, object]) -> None:
    """Record hyper-parameters (nested dicts allowed)."""
    current_run().config(values)


def tag(*tags: str) -> None:
    """Add tags to the current run."""
    current_run().tag(*tags)


def note(text: str) -> None:
    """Attach a free-text note to the current run."""
    current_run().note(text)


def save(name: str, obj: object) -> Path | None:
    """Store a file, folder, bytes, text, JSON, image, figure, array or torch object."""
    return current_run().save(name, obj)


def step(name: str) -> StepScope:
    """A named workflow step: ``with step("train"): ...``."""
    return StepScope(name)


def init(
    name: str | None = None,
    config: Mapping[str, object] | None = None,
    tags: Iterable[str] = (),
) -> Run:
    """Start (or join) a run explicitly, as ``wandb.init()`` does; returns it.

    A run that earlier module-level calls started implicitly is adopted rather than
    left nearly empty; a run from an earlier ``init()`` is finished first.
    """
    with _run._lock:
        previous = _run.active_run()
        if previous is not None and previous.run_id in _implicit:
            _implicit.discard(previous.run_id)
            if name:
                previous.rename(name)
            if config:
                previous.config(config)
            if tags:
                previous.tag(*tags)
            return previous
        if previous is not None and previous.owned:
            previous.finish()
        return Run(name, config=config, tags=tags)


def finish() -> None:
    """Finish the current run now instead of at exit; later calls start a new one."""
    active = _run.active_run()
    if active is not None:
        _implicit.discard(active.run_id)
        active.finish()
