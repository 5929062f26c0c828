"""`runar sweep -- COMMAND ARGS` (any program, as `runar -- COMMAND` runs it) and --stop rules
whose condition is the query language of `runar ls --where`."""

from __future__ import annotations

import os

import pytest

from runar.errors import InvalidQuery, UsageError
from runar.events import MetricsLogged, RunStarted
from runar.journal import JournalWriter
from runar.sweep.overview import sweep_detail
from runar.sweep.record import find_sweep, fold_record
from runar.sweep.stopping import parse_rule
from runar.views import open_views
from tests.sweep.test_cli_sweep import SLOW_LOSS

RUN_SH = """\
# run.sh --lr X: three epochs of a loss that falls faster for a larger lr
lr=$2
for e in 0 1 2; do echo "Epoch $e: loss=$(python3 -c "print(round(1/(1+$e*$lr*100), 4))")"; done
"""


def test_a_command_after_dashes_is_swept_and_recorded(store, sweep_cli, project):
    (project / "run.sh").write_text(RUN_SH)
    done = sweep_cli("-n", "sh", "-j", "2", "--", "bash", "run.sh", "--lr", "1e-3,1e-1")
    assert done.returncode == 0, done.stderr
    state = fold_record(store, find_sweep(store, "sh"))
    assert state.config["command"] is True and state.config["script"] == "bash"
    assert [p.status for p in state.points.values()] == ["completed", "completed"]
    with open_views(store) as views:
        runs = [views.get(p.run_id) for p in state.points.values()]
        assert [r.started.argv[:2] for r in runs] == [["bash", "run.sh"], ["bash", "run.sh"]]
        assert [r.config_values()["lr"] for r in runs] == [0.001, 0.1]
        assert [r.metrics["loss"].last for r in runs] == [0.8333, 0.0476]


def test_dry_run_shows_the_runner_taking_the_command_after_dashes(sweep_cli, project):
    (project / "run.sh").write_text(RUN_SH)
    shown = sweep_cli("--dry-run", "--", "bash", "run.sh", "--lr", "1,2").stdout.splitlines()
    assert shown[0].startswith("sweep run-")  # named after run.sh, not bash
    assert shown[1].split()[1:] == ["runar", "-n", shown[0].split()[1].rstrip(":") + "-0",
                                    "-t", f"sweep:{shown[0].split()[1].rstrip(':')}",
                                    "--", "bash", "run.sh", "--lr", "1"]  # fmt: skip


def test_a_sweep_option_after_dashes_is_the_scripts(sweep_cli):
    shown = sweep_cli("train.py", "--lr", "1,2", "-n", "mine", "--dry-run", "--", "-n", "12")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1].endswith("train.py --lr 1 -n 12")
    assert shown.stdout.startswith("sweep mine:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--"], "no command after '--'"),
        (["--", "no-such-program-x", "--lr", "1,2"], "no such command: 'no-such-program-x'"),
        (["--stop", "loss > abc", "train.py", "--lr", "1,2"], "'abc' is not a number"),
        (["--stop", "loss >", "train.py", "--lr", "1,2"], "column 7: expected a value"),
        (["--stop", "at step 5", "train.py", "--lr", "1,2"], "has no condition"),
        # read as 'loss > 2' and three name searches, the rule silently stopped nothing
        (["--stop", "loss > 2 at stepp 4", "train.py", "--lr", "1,2"], "write 'at step N'"),
        (["--metirc", "loss", "train.py", "--lr", "1,2"], "did you mean --metric?"),
    ],
)
def test_bad_commands_and_rules_are_one_line(sweep_cli, args, message):
    done = sweep_cli(*args)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3  # a query error adds the text and a caret


def test_a_near_miss_of_a_sweep_option_after_the_script_is_pointed_out(sweep_cli):
    shown = sweep_cli("train.py", "--lr", "1,2", "--metirc", "loss", "--dry-run")
    assert shown.returncode == 0  # the script may well have a --metirc: it still gets it
    assert "--metirc goes to the script; for the sweep's own option write --metric" in (
        shown.stderr
    )
    assert shown.stdout.splitlines()[1].endswith("train.py --lr 1 --metirc loss")


def test_rules_keep_their_form_and_take_the_query_language():
    rule = parse_rule("metrics.val/loss > 2 at step 100")
    assert (rule.condition, rule.step, rule.keys()) == ("metrics.val/loss > 2", 100, ["val/loss"])
    rule = parse_rule("val/loss > 2 and max(metrics.grad_norm) >= 10")
    assert rule.step is None and rule.keys() == ["val/loss", "grad_norm"]
    with pytest.raises(InvalidQuery, match="column 12: expected a condition"):
        parse_rule("loss > 2 or")
    with pytest.raises(UsageError, match="whole number"):
        parse_rule("loss > 2 at step ten")


def test_a_rule_matches_running_points_from_its_step_on(store):
    losses = {"a": (3.0, 100), "b": (3.0, 50), "c": (1.0, 100), "d": (float("nan"), 120)}
    ids = {}
    for name, (loss, step) in losses.items():
        run_id = name * 16
        ids[run_id] = name
        w = JournalWriter(store.run_dir(run_id), run_id, role="runner")
        w.append(RunStarted(run_id=run_id, name=name, pid=os.getpid()))
        w.append(MetricsLogged(values={"val/loss": loss, "acc": 0.1}, step=step))
        w.close()
    with open_views(store) as views:
        runs = [(views.get(i), "running") for i in ids]

    def matched(text):
        return sorted(ids[i] for i in parse_rule(text).matching(runs))

    assert matched("metrics.val/loss > 2 at step 100") == ["a"]  # b has not reached step 100
    assert matched("metrics.val/loss > 2") == ["a", "b"]
    assert matched("loss > 2 at step 60") == ["a"]  # a bare key, as in --where
    assert matched("val/loss < 2 or acc > 0.5") == ["c"]  # a NaN is never a match
    assert matched("metrics.nope > 1") == []
    assert (
        parse_rule("loss > 2").why(runs[0][0]) == "val/loss=3 at step 100 meets --stop 'loss > 2'"
    )


@pytest.mark.parametrize(
    "rule",
    ["metrics.loss > 0.5 at step 3", "loss > 0.5 and config.lr < 0.001 at step 3"],
    ids=["metric", "query"],
)
def test_a_stop_rule_stops_only_the_point_it_names(store, sweep_cli, project, rule):
    (project / "train.py").write_text(SLOW_LOSS)
    done = sweep_cli(
        "train.py", "--lr", "1e-4,1e-2", "-j", "2", "-n", "early", "--stop", rule, "--grace", "2"
    )
    assert done.returncode == 0, done.stderr  # stopping was asked for: no failure
    assert f"meets --stop '{rule}'" in done.stderr
    state = fold_record(store, find_sweep(store, "early"))
    assert [state.points[0].status, state.points[1].status] == ["stopped", "completed"]
    with open_views(store) as views:
        stopped = views.get(state.points[0].run_id)
        assert views.status(stopped) == "killed"
        assert stopped.metrics["loss"].count < 40
    # the run says killed; the point, also as `sweep show` reads it with its runs, stopped
    assert sweep_detail(store, "early")["counts"] == {"stopped": 1, "completed": 1}


def test_resume_runs_a_commands_unfinished_points_as_a_command(store, sweep_cli, project):
    (project / "fail.sh").write_text('[ "$2" = "2" ] && exit 3\necho "Epoch 0: loss=0.5"\n')
    first = sweep_cli("-n", "cmd", "--", "sh", "fail.sh", "--lr", "1,2")
    assert first.returncode == 1, first.stderr
    shown = sweep_cli("--resume", "cmd", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1].split()[1:] == [
        "runar", "-n", "cmd-1", "-t", "sweep:cmd", "--", "sh", "fail.sh", "--lr", "2",
    ]  # fmt: skip
