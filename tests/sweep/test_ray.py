"""`--on ray`: points as tasks on a real local Ray; their runs land in the store."""

from __future__ import annotations

import sys

import pytest

from runar.errors import UsageError
from runar.sweep.record import find_sweep, fold_record
from runar.sweep.session import SweepRequest, run
from runar.views import open_views


def test_missing_ray_is_one_line_naming_the_extra(monkeypatch):
    from runar.sweep.ray_executor import RayBackend

    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray has
    with pytest.raises(UsageError, match=r"pip install 'runar\[ray\]'"):
        RayBackend("ray", None, None, False)


@pytest.mark.slow
def test_a_four_point_sweep_runs_as_ray_tasks_into_the_store(store, project):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        request = SweepRequest(
            script="train.py",
            args=["--lr", "1e-3,1e-2", "--seed", "0..1"],
            name="on-ray",
            on="ray",
            cpus_per_run=1,
        )
        assert run(request, store) == 0
    finally:
        ray.shutdown()
    state = fold_record(store, find_sweep(store, "on-ray"))
    assert state.status == "completed" and state.config["on"] == "ray"
    with open_views(store) as views:
        runs = [s for s in views.runs() if s.sweep == "on-ray"]
    assert len(runs) == 4
    assert sorted(s.started.sweep_point for s in runs) == [0, 1, 2, 3]
    assert all(s.recorded_status == "completed" and "sweep:on-ray" in s.tag_list() for s in runs)
    assert {s.run_id for s in runs} == {p.run_id for p in state.points.values()}
