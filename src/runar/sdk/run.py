"""Run: one run as seen from this process — its lifecycle, metrics, config and steps.

A run is *owned* when this process started it: it writes RunStarted and RunFinished.
Otherwise it is *joined*: the runner (or the parent process) owns it and this process
only adds events. ``Run(...)`` always starts a run of its own — under ``runar`` a child
of the runner's run (``RunStarted.parent_run``), so a sweep of ``with Run(...)`` blocks
gives one run per point — except in a DDP rank, whose ranks together are one run.
Module-level calls, ``init()`` and ``@experiment`` join through ``Run.attach()``.
A joined run that the user named on runar's command line (``runar -n NAME``) keeps that
name: a name the script gives it is a default the user overrode. Which run to join is
environment.py's job; the writers and the active stack, shared by the process's runs,
are process.py's. Heavy modules (msgspec, the journal) load on the first run, not on
``import runar``.
"""

from __future__ import annotations

import os

from runar.sdk import environment, process, standalone
from runar.sdk.process import active, active_run, warn, writers
from runar.sdk.steps import StepScope, current_step
from runar.sdk.values import config_values, metric_values, step_index, tag_names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path
    from types import ModuleType, TracebackType

    from runar.events import AnyEvent
    from runar.journal import JournalWriter

# the names callers and tests import from here
ENV_RUN_ID = environment.ENV_RUN_ID
ENV_STORE = environment.ENV_STORE
_active = active
_writers = writers
__all__ = ["ENV_RUN_ID", "ENV_STORE", "Run", "active_run", "finish_owned_runs", "warn"]

_current_step_id = current_step.get


def _events() -> ModuleType:
    import runar.events

    return runar.events


class Run:
    """One run: log metrics, config, tags, notes, artifacts and steps into it."""

    def __init__(
        self,
        name: str | None = None,
        *,
        config: Mapping[str, object] | None = None,
        tags: Iterable[str] = (),
        parent_run: str | None = None,
        project: str | None = None,
    ) -> None:
        # parent_run: the run this one belongs to, when it is not the runner's (a nested
        # mlflow run inside a standalone one); project: else RUNAR_PROJECT, the git
        # repository's name, the store folder's name (runar.projects)
        self._open(
            name,
            config,
            tags,
            join=environment.role() != "sdk",
            parent_run=parent_run,
            project=project,
        )

    @classmethod
    def attach(
        cls,
        name: str | None = None,
        *,
        config: Mapping[str, object] | None = None,
        tags: Iterable[str] = (),
        project: str | None = None,
    ) -> Run:
        """Join the run the environment names (the runner's or a parent's), else start one."""
        run = cls.__new__(cls)
        run._open(name, config, tags, join=True, project=project)
        return run

    def _open(
        self,
        name: str | None,
        config: Mapping[str, object] | None,
        tags: Iterable[str],
        *,
        join: bool,
        parent_run: str | None = None,
        project: str | None = None,
    ) -> None:
        from pathlib import Path

        from runar.errors import InvalidName, StoreError
        from runar.ids import new_run_id
        from runar.store import Store

        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidName(f"run name {name!r} must be a non-empty string")
        if project is not None and (not isinstance(project, str) or not project.strip()):
            raise InvalidName(f"project {project!r} must be a non-empty string")
        self._ev = _events()
        self._metrics = self._ev.MetricsLogged  # one lookup less on the hot path
        self._writer: JournalWriter | None = None
        self._next_step = 0
        self._finished = False
        self.name = name
        self._named_by_user: str | None = None  # `runar -n`'s name, when this run is that one
        joined = environment.joined_run(process.owned)
        parent = None if join else parent_run
        if joined is not None:
            store = Store(Path(joined[1]))
            if join:
                self.run_id = joined[0]
                self._named_by_user = environment.command_line_name()
            else:
                parent = parent_run or joined[0]
        else:
            store = Store.discover()
            try:
                store.create()
            except StoreError as exc:
                warn(str(exc))
        self.owned = joined is None or not join
        if self.owned:
            self.run_id = new_run_id()
        self.run_dir: Path = store.run_dir(self.run_id)
        self.artifacts_dir: Path = store.artifacts_dir(self.run_id)
        with process.lock:
            if self.owned:
                self._start_owned(store.root, parent, project)
            else:
                if self._named_by_user:
                    self.name = self._named_by_user  # what the user typed last wins
                elif name:
                    self._emit(self._ev.RunRenamed(name=name))
                if project:  # init(project=...) under `runar`: the script's word wins
                    self._emit(self._ev.ProjectSet(project=project.strip()))
            active.append(self)
        if config:
            self.config(config)
        if tags:
            self.tag(*tags)

    def _start_owned(self, root: Path, parent: str | None, project: str | None = None) -> None:
        self._owner_pid = os.getpid()
        process.owned[self.run_id] = self._owner_pid
        self._emit(standalone.run_started(self.run_id, self.name, parent, project, root))
        standalone.install_exit_hooks(finish_owned_runs)
        # so that child processes (multiprocessing, subprocess) log into this run
        self._previous_env = environment.claim(self.run_id, str(root))

    def __repr__(self) -> str:
        return f"Run({self.run_id!r}, name={self.name!r})"

    # -- writing ------------------------------------------------------------------
    def _open_writer(self) -> JournalWriter:
        self._writer = process.writer_for(self.run_dir, self.run_id)
        return self._writer

    def _writable(self) -> JournalWriter:
        if self._finished:
            self._refuse_finished()
        return self._writer or self._open_writer()

    def _emit(self, event: AnyEvent) -> None:
        writer = self._writer
        if writer is None or self._finished:
            writer = self._writable()
        writer.append(event)

    def _refuse_finished(self) -> None:
        from runar.errors import RunarError

        raise RunarError(f"run {self.run_id} is finished; start a new one with runar.init()")

    # -- the SDK surface ----------------------------------------------------------
    def log(
        self, values: Mapping[str, object], step: int | None = None, *, ts: int | None = None
    ) -> None:
        """Record numeric metrics at ``step`` (an automatic counter when omitted).

        Args:
            ts: when the values were measured (ns since the epoch), if not now.
        """
        clean = metric_values(values)
        if step is None:
            step = self._next_step
            self._next_step = step + 1
        else:
            step = step_index(step)
            if step >= self._next_step:
                self._next_step = step + 1
        writer = self._writer
        if writer is None or self._finished:
            writer = self._writable()
        event = self._metrics(values=clean, step=step, workflow_step=_current_step_id())
        if ts:
            event.ts = ts  # the writer stamps only events without a time
        writer.append(event)

    def config(self, values: Mapping[str, object]) -> None:
        """Record hyper-parameters; nested dicts allowed, odd values kept as repr."""
        clean, replaced = config_values(values)
        if replaced:
            import warnings

            warnings.warn(
                f"runar: config values {', '.join(replaced)} are not JSON; recorded as repr()",
                RuntimeWarning,
                stacklevel=3,
            )
        from runar.redact import redact_mapping

        self._emit(self._ev.ConfigSet(values=redact_mapping(clean)))

    def tag(self, *tags: str) -> None:
        """Add tags to the run."""
        names = tag_names(tags)
        if names:
            self._emit(self._ev.TagsChanged(added=names))

    def untag(self, *tags: str) -> None:
        """Remove tags from the run."""
        names = tag_names(tags)
        if names:
            self._emit(self._ev.TagsChanged(removed=names))

    def note(self, text: str) -> None:
        """Attach a free-text note."""
        if not isinstance(text, str):
            raise TypeError(f"a note is text, got {type(text).__name__}")
        self._emit(self._ev.NoteAdded(text=text))

    def move_to(self, project: str) -> None:
        """File the run under another project (a ProjectSet event: the latest one wins)."""
        from runar.errors import InvalidName

        if not isinstance(project, str) or not project.strip():
            raise InvalidName(f"project {project!r} must be a non-empty string")
        self._emit(self._ev.ProjectSet(project=project.strip()))

    def rename(self, name: str) -> None:
        """Give the run a (new) display name; under ``runar -n NAME`` it stays NAME."""
        from runar.errors import InvalidName

        if not isinstance(name, str) or not name.strip():
            raise InvalidName(f"run name {name!r} must be a non-empty string")
        if self._named_by_user:
            return  # the script's name is a default; the command line said otherwise
        self.name = name
        self._emit(self._ev.RunRenamed(name=name))

    def summary(self, values: Mapping[str, object]) -> None:
        """Record final summary metrics (numbers only)."""
        self._emit(self._ev.SummarySet(values=metric_values(values)))

    def save(self, name: str, obj: object = None, *, text: str | None = None) -> Path | None:
        """Store ``obj`` (or the string ``text``) as artifact ``name``; None on storage trouble."""
        from runar.sdk.artifacts import store_artifact

        if self._finished:
            self._refuse_finished()
        if (obj is None) == (text is None):
            raise TypeError(f"save({name!r}) takes an object or text=..., exactly one of them")
        if text is not None:
            stored = store_artifact(self.artifacts_dir, name, text, as_text=True)
        else:
            stored = store_artifact(self.artifacts_dir, name, obj)
        if stored is None:
            return None
        event = self._ev.ArtifactAttached(workflow_step=current_step.get(), **stored.fields())
        self._emit(event)
        return stored.path

    def step(self, name: str) -> StepScope:
        """A named workflow step: ``with run.step("train"): ...``."""
        return StepScope(name, self)

    # -- lifecycle ----------------------------------------------------------------
    def finish(
        self,
        status: str = "completed",
        error: str | None = None,
        *,
        error_type: str | None = None,
        traceback: str | None = None,
    ) -> None:
        """End the run: an owned run records how it ended; a joined one is flushed."""
        with process.lock:
            if self._finished:
                return
            if self in active:
                active.remove(self)
            owned_here = self.owned and self._owner_pid == os.getpid()
            if owned_here:
                self._emit(
                    self._ev.RunFinished(
                        status=status, error=error, error_type=error_type, traceback=traceback
                    )
                )
                process.owned.pop(self.run_id, None)
                environment.release(self.run_id, self._previous_env)
            self._finished = True
            writer = self._writer or writers.get(self.run_dir)
            if writer is None:
                return
            if owned_here:
                writers.pop(self.run_dir, None)
                writer.close()  # seals the segment: nothing more comes from this process
            else:
                writer.flush(durable=True)

    def __enter__(self) -> Run:
        with process.lock:
            if self in active:
                active.remove(self)
            active.append(self)  # innermost `with` wins for the module-level functions
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
            self.finish()
        else:
            self.fail(standalone.failure_of(exc))

    def fail(self, failure: standalone.Failure) -> None:
        """End the run as the exception behind ``failure`` ended it."""
        self.finish(
            failure.status,
            failure.error,
            error_type=failure.error_type,
            traceback=failure.traceback,
        )


def finish_owned_runs(failure: standalone.Failure | None) -> None:
    """At exit: finish every run this process started and has not finished."""
    for run in reversed(list(active)):
        if run.owned and run._owner_pid == os.getpid():
            if failure is None:
                run.finish()
            else:
                run.fail(failure)
