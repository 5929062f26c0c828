"""Every example runs under plain python and records real curves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runar.events import MetricsLogged, RunFinished
from runar.store import Store

from .helpers import events_of, of_type

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(store: Store, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    env.pop("RUNAR_RUN_ID", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("name", "args", "runs"),
    [
        ("train.py", ("--epochs", "5"), 1),
        ("log_config_save.py", (), 1),
        ("run_context.py", (), 3),
        ("steps.py", (), 1),
    ],
)
def test_an_sdk_example_records_completed_runs_with_curves(
    store: Store, name: str, args: tuple[str, ...], runs: int
) -> None:
    done = run_example(store, name, *args)
    assert done.returncode == 0, done.stderr
    assert len(store.run_ids()) == runs
    for run_id in store.run_ids():
        events = events_of(store, run_id)
        assert [f.status for f in of_type(events, RunFinished)] == ["completed"]
        assert len(of_type(events, MetricsLogged)) >= 2


@pytest.mark.timeout(60)
def test_the_zero_change_example_prints_parseable_lines(store: Store) -> None:
    done = run_example(store, "zero_change.py", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("epoch 0: loss=")
    assert store.run_ids() == []  # it never imports runar: only the runner records it
