"""asha.py: rungs, cutoffs, and a real sweep where halving stops the points behind."""

from __future__ import annotations

import os

import pytest

from runar.errors import UsageError
from runar.events import MetricsLogged, RunStarted
from runar.journal import JournalWriter
from runar.store import Store
from runar.sweep.asha import AshaRule, quantile
from runar.sweep.driver import Running
from runar.sweep.plan import Point
from runar.sweep.record import find_sweep, fold_record

# the loss falls faster the larger --lr: a clear order between points, step by step
DESCENT = """\
import argparse, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
a = p.parse_args()
for step in range(1, 31):
    print(f"step {step}: loss={1 / (1 + a.lr * step):.4f}", flush=True)
    time.sleep(0.06)
"""


def test_quantile_interpolates_as_numpy_does():
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([3.0], 1 / 3) == 3.0
    assert quantile([4.0, 1.0, 2.0], 1 / 3) == pytest.approx(1.6666666, rel=1e-6)


def test_rungs_grow_by_eta():
    assert AshaRule("loss", "min", 3).milestones(30) == [3, 9, 27]
    assert AshaRule("loss", "min", 3, eta=2).milestones(12) == [3, 6, 12]


def test_the_first_at_a_rung_goes_on_and_a_worse_one_stops():
    rule = AshaRule("loss", "min", 2)
    assert rule.judge("a", 0.5, 2) is None  # alone at rung 2: no evidence to stop it
    assert rule.judge("b", 0.9, 3) == 2  # worse than the best third at rung 2
    assert rule.judge("c", 0.4, 2) is None  # better: goes on
    maximize = AshaRule("acc", "max", 1)
    assert maximize.judge("a", 0.8, 1) is None and maximize.judge("b", 0.2, 1) == 1


def test_asha_needs_a_metric_and_sane_numbers(sweep_cli):
    missing = sweep_cli("train.py", "--lr", "1,2", "--asha", "3")
    assert missing.returncode == 1 and "--metric" in missing.stderr
    with pytest.raises(UsageError, match="--asha-eta"):
        AshaRule("loss", "min", 3, eta=1)


def test_a_halving_sweep_stops_points_behind_and_keeps_the_best(store, sweep_cli, project):
    (project / "train.py").write_text(DESCENT)
    done = sweep_cli(
        "train.py", "--lr", "10,1,0.1,0.01", "-j", "4", "-n", "halving",
        "--metric", "loss", "--asha", "3", "--grace", "2",
    )  # fmt: skip
    state = fold_record(store, find_sweep(store, "halving"))
    statuses = {p.params["--lr"]: p.status for p in state.points.values()}
    assert statuses["10"] == "completed", done.stderr  # the fastest descent is never behind
    assert "stopped" in statuses.values(), done.stderr  # started after the better ones: behind
    assert "(--asha)" in done.stderr and done.returncode == 0, done.stderr


def write_losses(store: Store, run_id: str, losses: dict[int, float]) -> str:
    """A running point's run: ``loss`` at these steps, through the journal."""
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(RunStarted(run_id=run_id, name=run_id[:4], pid=os.getpid()))
        for step, loss in losses.items():
            w.append(MetricsLogged(values={"loss": loss}, step=step))
    return run_id


def test_points_reaching_a_rung_together_are_ranked_together(store: Store) -> None:
    # read worst first, each used to be judged against those read before it: all went on
    losses = {"a" * 16: 0.9, "b" * 16: 0.5, "c" * 16: 0.1}
    ids = [write_losses(store, run_id, {5: loss}) for run_id, loss in losses.items()]
    running = [Running(Point(i, {}, []), run_id, None, 0.0) for i, run_id in enumerate(ids)]
    rule = AshaRule("loss", "min", 3)
    stopped = [r.run_id for r, _ in rule.check(store, running)]
    assert stopped == [ids[0], ids[1]]  # behind the best third of the three at rung 3
    assert rule.check(store, running[2:]) == []  # a rung is judged once per point


def test_resume_fills_the_rungs_from_the_earlier_runs(store: Store) -> None:
    earlier = [
        write_losses(store, "a" * 16, {1: 0.9, 2: 0.6, 4: 0.3, 9: 0.1}),  # at rung 3: 0.3
        write_losses(store, "b" * 16, {2: 0.8, 3: 0.7}),  # stopped at step 3: 0.7
    ]
    rule = AshaRule("loss", "min", 3)
    rule.restore(store, earlier)
    assert rule.rungs == {3: {earlier[0]: 0.3, earlier[1]: 0.7}, 9: {earlier[0]: 0.1}}
    # alone, the first point at rung 3 would go on; with the restored rung it is behind
    assert rule.judge("c" * 16, 0.65, 3) == 3
