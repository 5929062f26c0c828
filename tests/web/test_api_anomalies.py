"""GET /api/runs/{id} carries the run's anomalies, as `runar show --json` does."""

from __future__ import annotations

import math
import time

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from tests.cli.helpers import write_run

from .client import get_json


def test_the_run_detail_lists_its_anomalies(served):
    run_id = new_run_id()
    with JournalWriter(served.store.run_dir(run_id), run_id, role="sdk") as w:
        w.append(RunStarted(run_id=run_id, name="went-nan", argv=["train.py"]))
        for i in range(100):
            w.append(MetricsLogged(values={"loss": math.nan if i == 42 else 1 / (1 + i)}, step=i))
        w.append(RunFinished(status="completed", exit_code=0))
    deadline = time.monotonic() + 20
    while get_json(served.base, "/api/runs?limit=100")["total"] <= len(served.runs):
        assert time.monotonic() < deadline, "the server never saw the run"
        time.sleep(0.05)
    [anomaly] = get_json(served.base, f"/api/runs/{run_id}")["anomalies"]
    assert anomaly["rule"] == "nonfinite" and anomaly["first_step"] == 42
    assert anomaly["message"] == "loss went NaN at step 42" and anomaly["value"] == "nan"
    [inf] = get_json(served.base, f"/api/runs/{served.runs['beta']}")["anomalies"]
    assert inf["message"] == "loss went +inf at step 0" and inf["value"] == "inf"
    assert get_json(served.base, f"/api/runs/{served.runs['xss']}")["anomalies"] == []


def test_each_curve_carries_its_anomalies_placed_on_the_requested_axis(served):
    alpha = served.runs["alpha"]  # loss 1.0 at step 0, NaN at step 1; acc clean
    for axis in ("step", "time", "relative"):
        curves = get_json(served.base, f"/api/runs/{alpha}/metrics?x={axis}")["series"]
        by_key = {c["key"]: c for c in curves}
        [nan] = by_key["loss"]["anomalies"]
        assert nan["rule"] == "nonfinite" and nan["first_step"] == 1
        assert nan["x"] == by_key["loss"]["x"][1] == by_key["loss"]["nonfinite"][0][0]
        assert by_key["acc"]["anomalies"] == []


def test_a_curve_of_a_run_without_anomalies_has_an_empty_list(served):
    run_id = write_run(served.store, name="calm", metrics=[{"loss": 1.0}, {"loss": 0.5}])
    deadline = time.monotonic() + 20
    while get_json(served.base, "/api/runs?limit=100")["total"] <= len(served.runs):
        assert time.monotonic() < deadline, "the server never saw the run"
        time.sleep(0.05)
    assert get_json(served.base, f"/api/runs/{run_id}")["anomalies"] == []
    [curve] = get_json(served.base, f"/api/runs/{run_id}/metrics")["series"]
    assert curve["anomalies"] == []
