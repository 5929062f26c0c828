"""record.py: the sweep's own record is in the log, folds back, and stays out of run lists."""

from __future__ import annotations

import os

import runar.frames as frames
from runar.events import RunFinished, RunStarted
from runar.journal import JournalWriter
from runar.sweep.plan import make_plan
from runar.sweep.record import SweepRecorder, apply_runs, fold_record
from runar.tui.catalog import Catalog
from runar.views import open_views


def _record(store, name="rec"):
    plan = make_plan("train.py", ["--seed", "0..2"])
    recorder = SweepRecorder.create(store, plan, name, ["sweep", "train.py"], {"jobs": 1})
    return recorder, plan


def _point_run(store, sweep_id, index, status="completed"):
    run_id = f"{'abcdefghjkmnpqrs'[index]}" * 16
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(RunStarted(run_id=run_id, sweep="rec", sweep_id=sweep_id, sweep_point=index,
                            argv=["train.py", "--seed", str(index)], pid=os.getpid()))  # fmt: skip
        w.append(RunFinished(status=status))
    return run_id


def test_the_record_folds_back_into_plan_points_and_status(store):
    recorder, _ = _record(store)
    recorder.point(0, "running", "r" * 16)
    recorder.point(0, "completed", "r" * 16)
    recorder.point(1, "running", "s" * 16)
    recorder.point(1, "failed", "s" * 16)
    recorder.finish("completed")
    recorder.close()
    state = fold_record(store, recorder.sweep_id)
    assert state.name == "rec" and state.status == "completed"
    assert state.config["space"] == {"--seed": "0..2"} and state.config["jobs"] == 1
    assert [(p.status, p.run_id) for p in state.points.values()] == [
        ("completed", "r" * 16),
        ("failed", "s" * 16),
        ("queued", None),
    ]
    assert [p.args for p in state.pending()] == [["--seed", "1"], ["--seed", "2"]]


def test_a_sweep_cut_off_before_a_point_ended_still_counts_that_points_run(store):
    recorder, _ = _record(store)
    recorder.point(0, "running", "m" * 16)
    recorder.writer.flush(durable=True)
    # the sweep process died here (kill -9): its writer never finishes
    state = fold_record(store, recorder.sweep_id)
    assert state.status == "running"  # this process, the writer's, is alive
    recorder.close()
    apply_runs(state, {0: [("m" * 16, "completed")]})
    assert state.points[0].status == "completed"  # the run completed after all
    assert [p.index for p in state.pending()] == [1, 2]


def test_a_stopped_point_stays_stopped_and_is_not_run_again(store):
    recorder, _ = _record(store)
    recorder.point(0, "running", "k" * 16)
    recorder.point(0, "stopped", "k" * 16)  # a --stop or --asha rule ended it
    recorder.finish("completed")
    recorder.close()
    state = fold_record(store, recorder.sweep_id)
    apply_runs(state, {0: [("k" * 16, "killed")]})  # its run ended killed, by SIGINT
    assert state.points[0].status == "stopped"  # showed 'killed' in 'sweep show'
    assert [p.index for p in state.pending()] == [1, 2]  # --resume undid the judgement


def test_ls_frames_and_the_dashboard_leave_the_record_out(store):
    recorder, _ = _record(store)
    run_id = _point_run(store, recorder.sweep_id, 0)
    recorder.finish("completed")
    recorder.close()
    changes = Catalog(store).catch_up()  # what the TUI folds live
    assert set(changes.changed) == {run_id}
    with open_views(store) as views:
        assert [s.run_id for s in views.runs()] == [run_id]
        assert [s.run_id for s in views.runs(sweeps=True)] == [recorder.sweep_id]
    frame = frames.runs(store=store)
    assert frame["run_id"].to_list() == [run_id] and frame["sweep"].to_list() == ["rec"]
