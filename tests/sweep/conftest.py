"""Sweep tests: a tiny training script and `runar sweep` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.journal import JournalWriter
from runar.store import Store
from runar.sweep.plan import make_plan
from runar.sweep.record import SweepRecorder

# seed >= HANG_FROM waits (until Ctrl-C) while the flag file exists; the others end at once
SCRIPT = """\
import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--epochs", type=int, default=2)
a = p.parse_args()
print("script sees RUNAR_SWEEP:", os.environ.get("RUNAR_SWEEP"), flush=True)
loss = 1.0
for epoch in range(a.epochs):
    loss = loss * (1 - min(a.lr * 100, 0.9)) + a.seed * 0.01
    print(f"Epoch {epoch}: loss={loss:.4f}", flush=True)
while a.seed >= int(os.environ.get("HANG_FROM", "99")) and os.path.exists("hang.flag"):
    time.sleep(0.05)
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (still runs in CI)")


@pytest.fixture
def project(tmp_path: Path, store, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with train.py; the working directory of the test."""
    (tmp_path / "train.py").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sweep_cli(project: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `runar sweep ARGS...` in the project folder, to the end."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runar", "sweep", *args],
            cwd=project,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def sweep_with_runs(store: Store) -> str:
    """A finished 2-point sweep "web" (--lr 1e-3,1e-2) written event by event; its id."""
    plan = make_plan("train.py", ["--lr", "1e-3,1e-2"])
    recorder = SweepRecorder.create(store, plan, "web", ["sweep", "train.py"], {})
    for point, loss in zip(plan.points, (0.7, 0.2), strict=True):
        run_id = "abcdefghjkmnpqrs"[point.index] * 16
        recorder.point(point.index, "running", run_id)
        with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
            w.append(RunStarted(run_id=run_id, name=f"web-{point.index}", sweep="web",
                                sweep_id=recorder.sweep_id, sweep_point=point.index,
                                argv=["train.py", *point.args], pid=os.getpid()))  # fmt: skip
            w.append(MetricsLogged(values={"val/loss": loss}, step=1))
            w.append(RunFinished(status="completed"))
        recorder.point(point.index, "completed", run_id)
    recorder.finish("completed")
    recorder.close()
    return recorder.sweep_id
