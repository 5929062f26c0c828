"""Importers: runs recorded by other tools (TensorBoard, MLflow, W&B) become runar runs.

Beside the SDK and the runner, they write only through the journal, each run once
(``source_run.land``); reading the sources needs no TensorFlow, mlflow or wandb.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from runar.importers.source_run import RunResult, SourceRun
    from runar.store import Store

KINDS: Final = ("tensorboard", "mlflow", "wandb")


def read_source(kind: str, path: Path, name: str | None = None) -> list[SourceRun]:
    """The runs a TensorBoard logdir, an MLflow store or a W&B folder holds."""
    if kind == "tensorboard":
        from runar.importers.tensorboard import read_logdir

        return read_logdir(path, name=name)
    if kind == "mlflow":
        from runar.importers.mlflow import read_mlflow

        return read_mlflow(path)
    if kind == "wandb":
        from runar.importers.wandb import read_wandb

        return read_wandb(path)
    raise ValueError(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")


def import_runs(
    store: Store, kind: str, path: Path, name: str | None = None, tags: list[str] | None = None
) -> list[RunResult]:
    """Import every run found at ``path`` into ``store``; runs already there are skipped."""
    from runar.importers.source_run import land

    results = []
    for run in read_source(kind, path, name=name):
        run.tags += tags or []
        results.append(land(store, run))
    return results
