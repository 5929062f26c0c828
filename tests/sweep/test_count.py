"""Views.count() counts training runs only: `runar ls` says "showing 50 of N" with the right N."""

from __future__ import annotations

import os
import subprocess
import sys

from runar.events import RunFinished, RunStarted
from runar.journal import JournalWriter
from runar.views import open_views
from tests.sweep.conftest import sweep_with_runs


def test_count_leaves_the_sweep_record_out(store):
    sweep_with_runs(store)
    with open_views(store) as views:
        assert views.count() == len(views.runs()) == 2
        assert len(views.runs(sweeps=True)) == 1


def _ls(store, limit: int) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "runar", "ls", "--limit", str(limit)],
        env={**os.environ, "RUNAR_DIR": str(store.root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stderr


def test_ls_total_is_the_number_of_training_runs(store):
    sweep_with_runs(store)
    assert "showing" not in _ls(store, 2)  # 2 runs and the record: nothing is hidden
    for i in range(3):
        run_id = f"{i}" * 16
        with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
            w.append(RunStarted(run_id=run_id, name=f"plain-{i}", pid=os.getpid()))
            w.append(RunFinished(status="completed"))
    assert "showing the newest 2 of 5 runs" in _ls(store, 2)
