"""Fixtures for the command tests: a CliRunner and the seed flow's two runs."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from runar.store import Store

from .helpers import S, write_run


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def two_runs(store: Store) -> tuple[str, str]:
    """The seed flow: a baseline and a second run that differ in config and metrics."""
    now = time.time_ns()
    a = write_run(
        store,
        name="baseline",
        config={"lr": 0.001, "epochs": 10},
        metrics=[{"loss": 0.6, "accuracy": 0.85}, {"loss": 0.4, "accuracy": 0.891}],
        tags=["baseline"],
        artifact=b"weights-a",
        start_ts=now - 3600 * S,
    )
    b = write_run(
        store,
        name="high-lr",
        config={"lr": 0.01, "epochs": 10, "dropout": 0.1},
        metrics=[{"loss": 0.7, "accuracy": 0.8}, {"loss": 0.5, "accuracy": 0.847}],
        status="failed",
        packages={"numpy": "2.0.0", "einops": "0.7.0"},
        start_ts=now - 1800 * S,
    )
    return a, b
