"""GET /api/sweeps and /api/sweeps/{ref} on a real uvicorn; the record is not a run there."""

from __future__ import annotations

from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.sweep.conftest import sweep_with_runs
from tests.web.client import request


def test_the_api_lists_a_sweep_and_its_points_with_the_best_marked(store):
    sweep_id = sweep_with_runs(store)
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
