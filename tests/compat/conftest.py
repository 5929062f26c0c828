"""Fixtures for the compatible APIs: the real trackers are absent, no state leaks between tests."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pytest

from runar.sdk import process


@pytest.fixture(autouse=True, scope="session")
def real_trackers_absent() -> None:
    """These tests prove runar stands in for wandb and mlflow, so neither may be installed."""
    for name in ("wandb", "mlflow"):
        assert importlib.util.find_spec(name) is None, f"the real {name} is installed here"


@pytest.fixture(autouse=True)
def no_active_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process tests leave no wandb/mlflow/runar run active for the next test."""
    for name in ("WANDB_MODE", "WANDB_DISABLED", "MLFLOW_EXPERIMENT_NAME", "RUNAR_RUN_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["train.py"])  # pytest's own arguments are no config
    yield
    import runar.compat.mlflow.runs as mlflow_runs
    import runar.compat.wandb as wandb

    if wandb.run is not None:
        wandb.run._finished = True  # a test may leave it half-finished on purpose
        wandb._forget(wandb.run)
    mlflow_runs._stack.clear()
    mlflow_runs._experiment = None
    for run in list(process.active):
        run.finish()
    process.active.clear()
    for writer in process.writers.values():
        writer.close()
    process.writers.clear()
