"""GET /api/sweeps and /api/sweeps/{ref} on a real uvicorn; the record is not a run there."""

from __future__ import annotations

import os

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.journal import JournalWriter
from runar.sweep.plan import make_plan
from runar.sweep.record import SweepRecorder
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.web.client import request


def _sweep_with_runs(store) -> str:
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


def test_the_api_lists_a_sweep_and_its_points_with_the_best_marked(store):
    sweep_id = _sweep_with_runs(store)
    with serving_in_thread(create_app(store)) as base:
        listed = request(base, "/api/sweeps").json()["sweeps"]
        detail = request(base, "/api/sweeps/web").json()
        by_prefix = request(base, f"/api/sweeps/{sweep_id[:6]}?sort=-val/loss").json()
        runs = request(base, "/api/runs").json()["runs"]
        missing = request(base, "/api/sweeps/nope")
    assert [(s["id"], s["name"], s["points"]) for s in listed] == [(sweep_id, "web", 2)]
    assert detail["metric"] == "val/loss" and detail["mode"] == "min"
    assert [(p["params"]["--lr"], p["best"]) for p in detail["points"]] == [
        ("1e-3", False),
        ("1e-2", True),
    ]
    assert detail["points"][1]["config"]["lr"] == 0.01
    assert [p["index"] for p in by_prefix["points"]] == [0, 1]  # the higher loss first
    assert sweep_id not in {r["id"] for r in runs} and len(runs) == 2
    assert missing.status == 404
