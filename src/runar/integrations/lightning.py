"""Lightning → runar: ``Trainer(logger=RunarLogger())``.

Lightning calls ``log_hyperparams`` and ``log_metrics`` on every rank; like its own loggers,
only rank zero records them (Lightning has already reduced what ``sync_dist`` asks for).
``logger.experiment`` is the runar ``Run`` on every rank that can reach it, so
``self.logger.experiment.log(...)`` from any rank lands in the same run with that rank's own
writer: rank zero starts (or joins) the run when the logger is created, before Lightning
launches the other ranks, and they inherit it through ``RUNAR_RUN_ID``. A rank started
without that (``torchrun`` outside ``runar``) has no run to join and records nothing.
Checkpoints are recorded as small JSON artifacts ``checkpoints/<file>`` naming the file
``ModelCheckpoint`` wrote, its size and score; the weights stay where they are.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from runar.integrations.target import numbers, plain, run_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lightning.pytorch.callbacks import ModelCheckpoint

    from runar.sdk.run import Run


class NoRun:
    """What ``experiment`` is on a rank with no run to join: every call does nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class RunarLogger(Logger):
    """A Lightning logger that records hyper-parameters, metrics and checkpoints into runar."""

    def __init__(
        self, name: str | None = None, *, tags: Iterable[str] = (), prefix: str = ""
    ) -> None:
        super().__init__()
        self._name = name
        self._tags = tuple(tags)
        self._prefix = prefix
        self._run: Run | None = None
        self._checkpoints: dict[str, tuple[int, int]] = {}  # path → (mtime_ns, size) recorded
        if rank_zero_only.rank == 0:
            # now, not on first use: the ranks Lightning launches later must inherit the run
            self._run = run_for(name, self._tags)

    def __getstate__(self) -> dict[str, Any]:
        # ddp_spawn pickles the logger: a Run holds a writer, so each process re-joins
        state = self.__dict__.copy()
        state["_run"] = None
        return state

    # -- identity -----------------------------------------------------------------
    @property
    def experiment(self) -> Run | NoRun:
        """The runar Run this logger records into (any rank that can join it)."""
        if self._run is None:
            if rank_zero_only.rank == 0:
                self._run = run_for(self._name, self._tags)
            elif os.environ.get("RUNAR_RUN_ID"):
                self._run = run_for(None)  # rank zero already named and tagged the run
        return self._run if self._run is not None else NoRun()

    @property
    def name(self) -> str:
        """The name given, else "runar": the folder ``ModelCheckpoint`` saves under."""
        return self._name or "runar"

    @property
    def version(self) -> str | None:
        """The run id: checkpoints go to ``<default_root_dir>/<name>/<run id>/checkpoints``."""
        run = self.experiment
        return None if isinstance(run, NoRun) else run.run_id

    @property
    def save_dir(self) -> str | None:
        """None: runar keeps its own store, so checkpoints go under the Trainer's root folder."""
        return None

    # -- recording ----------------------------------------------------------------
    @rank_zero_only
    def log_hyperparams(
        self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        """Record hyper-parameters: a dict, an ``AttributeDict`` or an argparse Namespace."""
        if isinstance(params, Namespace):
            params = vars(params)
        if params is None or not isinstance(params, Mapping) or not params:
            return
        self.experiment.config(plain(params))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record the numbers among ``metrics`` at ``step`` (Lightning's global step)."""
        values = numbers(metrics)
        if self._prefix:
            values = {f"{self._prefix}/{key}": value for key, value in values.items()}
        if values:
            self.experiment.log(values, step=step)

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        """Record each checkpoint file the callback kept (top-k, best, last) once per write."""
        kinds: dict[str, tuple[str, object]] = {}
        for path, score in getattr(checkpoint_callback, "best_k_models", {}).items():
            kinds[path] = ("top_k", score)
        best = getattr(checkpoint_callback, "best_model_path", "")
        if best:
            kinds[best] = ("best", getattr(checkpoint_callback, "best_model_score", None))
        last = getattr(checkpoint_callback, "last_model_path", "")
        if last:
            kinds[last] = ("last", getattr(checkpoint_callback, "current_score", None))
        for path, (kind, score) in kinds.items():
            self._record_checkpoint(Path(path), kind, score, checkpoint_callback)

    def _record_checkpoint(
        self, path: Path, kind: str, score: object, callback: ModelCheckpoint
    ) -> None:
        try:
            stat = path.stat()
        except OSError:
            return  # removed since (top-k pruned it): nothing to point at
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._checkpoints.get(str(path)) == stamp:
            return
        self._checkpoints[str(path)] = stamp
        number = numbers({"score": score}).get("score")
        reference = {
            "path": str(path.resolve()),
            "size": stat.st_size,
            "kind": kind,
            "monitor": getattr(callback, "monitor", None),
            "score": number,
        }
        self.experiment.save(f"checkpoints/{path.name}", reference)

    @rank_zero_only
    def save(self) -> None:
        """Nothing to do: the journal hands records to the OS within 100 ms by itself."""

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Leave the run open: a later ``trainer.test()`` logs into it; it ends with the script."""
