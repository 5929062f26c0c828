"""Imported runs join the project their source grouped them in (mlflow experiment, W&B project)."""

from __future__ import annotations

import shutil
from pathlib import Path

from runar.importers import import_runs
from runar.store import Store
from runar.views import open_views

from .conftest import DATA


def projects(store: Store) -> dict[str, str | None]:
    with open_views(store) as views:
        return {s.display_name: s.project for s in views.runs()}


def test_the_mlflow_experiment_is_the_project(store: Store, tmp_path: Path) -> None:
    mlruns = shutil.copytree(DATA / "mlflow" / "mlruns", tmp_path / "mlruns")
    import_runs(store, "mlflow", Path(mlruns))
    assert set(projects(store).values()) == {"demo"}


def test_the_wandb_project_is_the_project(store: Store, tmp_path: Path) -> None:
    wandb = shutil.copytree(DATA / "wandb" / "wandb", tmp_path / "wandb")
    import_runs(store, "wandb", Path(wandb))
    assert projects(store) == {"baseline": "demo", "diverged": "demo"}
