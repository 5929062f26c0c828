"""GET /api/runs/{id} carries a rerun family's reproducibility, and null elsewhere."""

from __future__ import annotations

import time

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter

from .client import get_json


def _wait_for_runs(served, n: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if get_json(served.base, "/api/runs?limit=100")["total"] >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server never saw {n} runs")


def test_the_run_detail_has_the_score_of_its_family(served):
    alpha = served.runs["alpha"]
    rerun = new_run_id()
    with JournalWriter(served.store.run_dir(rerun), rerun, role="runner") as w:
        w.append(RunStarted(run_id=rerun, argv=["train.py", "--epochs", "2"], rerun_of=alpha))
        w.append(MetricsLogged(values={"loss": float("nan"), "acc": 0.6}, step=1))
        w.append(RunFinished(status="completed", exit_code=0))
    _wait_for_runs(served, len(served.runs) + 1)
    field = get_json(served.base, f"/api/runs/{rerun}")["reproducibility"]
    assert field["root"] == alpha and field["reruns"] == 1
    assert field["this_run"]["original"] == alpha
    assert any(reason.startswith("acc differs by") for reason in field["reasons"])
    assert field["score"] < 100
    assert get_json(served.base, f"/api/runs/{alpha}")["reproducibility"]["root"] == alpha
    assert get_json(served.base, f"/api/runs/{served.runs['beta']}")["reproducibility"] is None
