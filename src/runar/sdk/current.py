"""The module-level SDK: ``runar.log(...)`` and friends write to the current run.

The current run is the innermost active one; when there is none, the first call
joins the runner's run (``RUNAR_RUN_ID``/``RUNAR_DIR``) or, under plain ``python``,
starts a run of its own that finishes when the interpreter exits.
"""

from __future__ import annotations

from runar.sdk import process
from runar.sdk.process import active as _active
from runar.sdk.run import Run
from runar.sdk.steps import StepScope

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

_implicit: set[str] = set()  # ids of runs started by a module-level call, not by init()/Run
_claimed: str | None = None  # the runner's run, once an init() attached to it


def current_run() -> Run:
    """The active run, starting (or joining) one on first use."""
    if _active:
        return _active[-1]
    with process.lock:
        if _active:
            return _active[-1]
        started = Run.attach()
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


def save(name: str, obj: object = None, *, text: str | None = None) -> Path | None:
    """Store a file, folder, bytes, text, JSON, image, figure, array or torch object.

    A str naming a missing file (``"ckpt/typo.pt"``) raises; ``text=`` stores any str.
    """
    return current_run().save(name, obj, text=text)


def step(name: str) -> StepScope:
    """A named workflow step: ``with step("train"): ...``."""
    return StepScope(name)


def init(
    name: str | None = None,
    config: Mapping[str, object] | None = None,
    tags: Iterable[str] = (),
    project: str | None = None,
) -> Run:
    """Start (or join) a run explicitly, as ``wandb.init()`` does; returns it.

    ``project`` files the run under that project (else ``RUNAR_PROJECT``, the git
    repository's name, the store folder's name); under ``runar`` it moves the runner's run.

    Under ``runar`` the first ``init()`` is the runner's run (a name renames it unless
    ``runar -n`` named it), since that is how a script says "start logging"; each later
    one (a sweep of ``init()``/``finish()``) starts a child run of it. A run that earlier
    module-level calls started implicitly is adopted rather than left nearly empty; a run
    from an earlier ``init()`` is finished first.
    """
    global _claimed
    with process.lock:
        previous = process.active_run()
        adoptable = previous is not None and (previous.owned or _claimed is None)
        if previous is not None and previous.run_id in _implicit and adoptable:
            _implicit.discard(previous.run_id)
            if not previous.owned:
                _claimed = previous.run_id
            if name:
                previous.rename(name)
            if project:
                previous.move_to(project)
            if config:
                previous.config(config)
            if tags:
                previous.tag(*tags)
            return previous
        if previous is not None and (previous.owned or previous.run_id == _claimed):
            previous.finish()
        if _claimed is not None:
            return Run(name, config=config, tags=tags, project=project)
        run = Run.attach(name, config=config, tags=tags, project=project)
        if not run.owned:
            _claimed = run.run_id
        return run


def finish() -> None:
    """Finish the current run now instead of at exit; later calls start a new one."""
    active = process.active_run()
    if active is not None:
        _implicit.discard(active.run_id)
        active.finish()
