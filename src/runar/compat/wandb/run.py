"""The object ``wandb.init()`` returns: logging, config, summary, files, artifacts, finish.

It records through a runar ``Run`` (the *recorder*); with ``mode="disabled"`` there is
none and every call only updates the in-memory config and summary.
"""

from __future__ import annotations

import os

from runar.compat.wandb.config import Config
from runar.compat.wandb.history import History
from runar.compat.wandb.summary import Summary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType
    from typing import Any

    from runar.compat.wandb.artifact import Artifact
    from runar.sdk.run import Run as Recorder


class Metric:
    """What ``define_metric`` returns."""

    def __init__(self, name: str, **options: object) -> None:
        self.name = name
        self.__dict__.update(options)


class Run:
    """A wandb run recording into runar."""

    def __init__(
        self,
        recorder: Recorder | None,
        *,
        project: str | None = None,
        entity: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        tags: tuple[str, ...] = (),
        mode: str | None = None,
        run_id: str | None = None,
        on_finish: Callable[[Run], None] | None = None,
    ) -> None:
        self._recorder = recorder
        self.config = Config(recorder)
        self.summary = Summary(recorder)
        self._history = History(self._write_row)
        self.project = project or "uncategorized"
        self.entity = entity
        self.group = group
        self.job_type = job_type
        self.notes = notes
        self.tags = tags
        self.mode = mode or "offline"
        self.disabled = recorder is None
        self._id = run_id or (recorder.run_id if recorder else os.urandom(4).hex())
        self._name = recorder.name if recorder else None
        self._on_finish = on_finish
        self._files: dict[str, tuple[int, int]] = {}  # saved path → (size, mtime) when saved
        self._globs: list[tuple[str, str | None]] = []
        self._dir: str | None = None
        self._warned: set[str] = set()
        self._finished = False

    # -- identity -----------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._name or self._id

    @name.setter
    def name(self, value: str) -> None:
        self._name = value
        if self._recorder is not None:
            self._recorder.rename(value)
            self._name = self._recorder.name  # under `runar -n NAME` the run stays NAME

    @property
    def step(self) -> int:
        return self._history.step

    @property
    def path(self) -> str:
        return "/".join(p for p in (self.entity, self.project, self.id) if p)

    @property
    def url(self) -> None:
        return None  # nothing is online

    def get_url(self) -> None:
        return None

    def project_name(self) -> str:
        return self.project

    @property
    def dir(self) -> str:
        """A folder whose files are stored as artifacts (named relative to it) at finish."""
        if self._dir is None:
            import tempfile

            self._dir = tempfile.mkdtemp(prefix="runar-wandb-files-")
        return self._dir

    @property
    def offline(self) -> bool:
        return True

    # -- logging ------------------------------------------------------------------
    def log(
        self,
        data: Mapping[str, object],
        step: int | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Add ``data`` to the history row; see ``history.History`` for the step rules."""
        self._history.log(data, step, commit)

    def _write_row(self, step: int, row: dict[str, object]) -> None:
        self.summary._logged(row)
        if self._recorder is None:
            return
        from runar.sdk.values import metric_value, metric_values

        try:
            numbers = metric_values(row)
        except Exception:  # not only TypeError: describing an odd value may raise too
            numbers = {}
            for key, value in row.items():
                try:
                    numbers[key] = metric_value(key, value)
                except Exception:
                    self._store_value(key, value, step)
        if numbers:
            self._recorder.log(numbers, step)

    def _store_value(self, key: str, value: object, step: int) -> None:
        """A value that is no number: media as artifacts, text as a note, never an exception."""
        from runar.compat.wandb.media import Media

        if value is None or self._recorder is None:
            return
        base = f"media/{key}/{step}"
        try:
            if isinstance(value, Media):
                value.store(self._recorder, base)
            elif (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(v, Media) for v in value)
            ):
                for i, item in enumerate(value):
                    item.store(self._recorder, f"{base}_{i}")
            elif isinstance(value, str):
                self._recorder.note(f"{key} at step {step}: {value}")
            elif isinstance(value, (list, tuple, dict)):
                self._recorder.save(
                    base + ".json", list(value) if isinstance(value, tuple) else value
                )
            else:
                self._recorder.save(base, value)  # arrays, tensors: runar's own formats
        except Exception as exc:  # a value wandb would take must never stop training
            self._warn(key, f"cannot store {key!r} ({type(value).__name__}: {exc}); skipped")

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            import sys

            sys.stderr.write(f"runar: wandb.log {message}\n")

    def define_metric(
        self,
        name: str,
        step_metric: str | Metric | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
        **kwargs: Any,
    ) -> Metric:
        """Recorded as config ``_wandb.define_metric.<name>`` (runar charts by step anyway)."""
        if isinstance(step_metric, Metric):
            step_metric = step_metric.name
        options = {"step_metric": step_metric, "summary": summary, "goal": goal, "hidden": hidden}
        options = {k: v for k, v in options.items() if v is not None}
        if self._recorder is not None:
            self._recorder.config({"_wandb": {"define_metric": {name: options or True}}})
        return Metric(name, **options)

    def watch(self, models: object = None, *args: Any, **kwargs: Any) -> None:
        """Gradient and parameter histograms are not recorded; accepted so scripts run."""

    def unwatch(self, models: object = None) -> None:
        """Nothing to undo."""

    def alert(self, title: str, text: str, *args: Any, **kwargs: Any) -> None:
        """An alert becomes a note."""
        if self._recorder is not None:
            self._recorder.note(f"{title}: {text}")

    def log_code(self, *args: Any, **kwargs: Any) -> None:
        """The runner already keeps the code (``runs/<id>/code``)."""

    def mark_preempting(self) -> None:
        """Nothing to tell a server."""

    def _label(self, *args: Any, **kwargs: Any) -> None:
        """Integrations label their runs for wandb's own statistics; nothing to record."""

    # -- files and artifacts -------------------------------------------------------
    def save(
        self,
        glob_str: str | os.PathLike[str] | None = None,
        base_path: str | None = None,
        policy: str = "live",
    ) -> list[str]:
        """Store the files matching ``glob_str`` now, and again at finish if they changed."""
        if glob_str is None:
            return []
        pattern = os.fspath(glob_str)
        self._globs.append((pattern, base_path))
        return self._save_matching(pattern, base_path)

    def _save_matching(self, pattern: str, base_path: str | None) -> list[str]:
        import glob
        from pathlib import Path

        saved = []
        for path in sorted(glob.glob(pattern, recursive=True)):
            if not os.path.isfile(path):
                continue
            stat = os.stat(path)
            if self._files.get(path) == (stat.st_size, stat.st_mtime_ns):
                continue
            self._files[path] = (stat.st_size, stat.st_mtime_ns)
            if self._recorder is not None:
                self._recorder.save(_saved_name(path, pattern, base_path), Path(path))
            saved.append(path)
        return saved

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # wandb's own keyword
        aliases: list[str] | None = None,
        **kwargs: Any,
    ) -> Artifact:
        """Store an ``Artifact``'s entries, or a file or folder, as runar artifacts."""
        from runar.compat.wandb.artifact import Artifact

        if isinstance(artifact_or_path, Artifact):
            artifact = artifact_or_path
        else:
            path = os.fspath(artifact_or_path)
            artifact = Artifact(name or os.path.basename(path.rstrip("/")), type or "unspecified")
            if os.path.isdir(path):
                artifact.add_dir(path)
            else:
                artifact.add_file(path)
        artifact.aliases = list(aliases or [])
        if self._recorder is not None:
            artifact.store(self._recorder)
        return artifact

    def use_artifact(self, artifact_or_name: object, *args: Any, **kwargs: Any) -> Artifact:
        """An artifact to read: only local ones can exist here; it is returned as given."""
        from runar.compat.wandb.artifact import Artifact

        if isinstance(artifact_or_name, Artifact):
            return artifact_or_name
        return Artifact(str(artifact_or_name), kwargs.get("type") or "unspecified")

    # -- lifecycle ----------------------------------------------------------------
    def flush_pending(self) -> None:
        """Commit the pending row and store changed files; the run goes on."""
        self._history.flush()
        for pattern, base_path in self._globs:
            self._save_matching(pattern, base_path)
        if self._dir is not None and self._recorder is not None:
            self._save_matching(os.path.join(self._dir, "**", "*"), self._dir)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run; a non-zero ``exit_code`` fails a run this process started."""
        if self._finished:
            return
        try:
            self.flush_pending()
        finally:
            self._finished = True
            if self._recorder is not None:
                if exit_code and self._recorder.owned:
                    self._recorder.finish("failed", f"wandb.finish(exit_code={exit_code})")
                else:
                    self._recorder.finish()
            if self._on_finish is not None:
                self._on_finish(self)

    def _fail(self, exc: BaseException) -> None:
        from runar.sdk import standalone

        if self._finished:
            return
        try:
            self.flush_pending()
        finally:
            self._finished = True
            if self._recorder is not None and self._recorder.owned:
                self._recorder.fail(standalone.failure_of(exc))
            elif self._recorder is not None:
                self._recorder.finish()
            if self._on_finish is not None:
                self._on_finish(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            self._fail(exc)

    def __repr__(self) -> str:
        return f"<wandb Run {self.id} name={self.name!r} (runar)>"


def _saved_name(path: str, pattern: str, base_path: str | None) -> str:
    """The artifact name for a file wandb.save matched: relative to base_path or the cwd."""
    if base_path is None and os.path.isabs(pattern):
        base_path = os.path.dirname(pattern.split("*", 1)[0])
    base = base_path if base_path is not None else os.getcwd()
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    return os.path.basename(path) if rel.startswith("..") else rel
