"""Sweeps, reports and reruns of scripts written the way popular projects write them:
pytorch/examples' MNIST (argparse, `Loss:` printed) and nanoGPT (`--key=value` through an
exec'd configurator.py), typed as a user would type the commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gitrepo import git

from runar.store import Store
from tests.runner.helpers import run_runar

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def nanogpt(store: Store, tmp_path: Path) -> Path:
    work = tmp_path / "nanogpt"
    shutil.copytree(SCRIPTS / "nanogpt", work)
    return work


def sweep_detail(work: Path, name: str) -> dict:
    shown = run_runar(["sweep", "show", name, "--json"], cwd=work)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_mnist_swept_by_loss_ranks_by_the_loss_it_prints_and_tabulates_it(
    store: Store, tmp_path: Path
) -> None:
    pytest.importorskip("torch")
    shutil.copy(SCRIPTS / "train_mnist.py", tmp_path / "main.py")
    args = ["sweep", "main.py", "--lr", "0.01,1", "--epochs", "1", "-j", "2", "-n", "mnist"]
    done = run_runar([*args, "--metric", "loss"], cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr
    # the example prints "Loss: 2.30", recorded as Loss: --metric loss used to rank nothing
    assert "best: point" in done.stderr and "Loss=" in done.stderr
    detail = sweep_detail(tmp_path, "mnist")
    losses = [p["metrics"]["Loss"] for p in detail["points"]]
    assert detail["metric"] == "Loss" and detail["best"]["index"] == losses.index(min(losses))

    table = run_runar(
        ["report", "table", "--where", "sweep:mnist", "-m", "loss", "-g", "lr", "-F", "markdown"],
        cwd=tmp_path,
    )
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0] == "| lr | n | Loss ↓ |" and table.stdout.endswith("\n")
    typo = run_runar(["report", "table", "--where", "sweep:mnist", "-m", "los"], cwd=tmp_path)
    assert typo.returncode == 1
    assert typo.stderr.strip() == "error: no selected run has a metric 'los'; they have: Loss"


def test_nanogpt_stop_rule_marks_the_point_stopped_in_show(nanogpt: Path) -> None:
    done = run_runar(
        ["sweep", "train.py", "--learning_rate=1e-4,1e-3", "-j", "2", "-n", "gpt",
         "--stop", "loss > 2 at step 50", "--grace", "2"],
        cwd=nanogpt, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "meets --stop 'loss > 2 at step 50'" in done.stderr
    assert "■ point 0 (--learning_rate 1e-4) stopped in" in done.stderr
    assert "1 stopped" in done.stderr and "killed" not in done.stderr.split("■ point 0")[1]
    detail = sweep_detail(nanogpt, "gpt")
    # the point's run ended killed; the point was stopped on purpose, and show says so
    assert [p["status"] for p in detail["points"]] == ["stopped", "completed"]
    assert detail["counts"] == {"stopped": 1, "completed": 1}


def test_nanogpt_points_that_fail_say_why_and_the_rest_stay_queued(nanogpt: Path) -> None:
    done = run_runar(
        ["sweep", "train.py", "--lr=1e-3,1e-4", "-n", "typo", "--max-failures", "1"],
        cwd=nanogpt, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "failed in" in done.stderr and "(ValueError: Unknown config key: lr)" in done.stderr
    assert "0/2 done · 0 running · 1 failed · 1 queued" in done.stderr


def test_nanogpt_rerun_set_adds_a_key_in_the_configurators_form(nanogpt: Path) -> None:
    git(nanogpt, "init", "-q", "-b", "master")  # a clone of the repository, as people run it
    git(nanogpt, "add", ".")
    git(nanogpt, "commit", "-q", "-m", "nanoGPT")
    done = run_runar(["-n", "base", "train.py", "--learning_rate=1e-3"], cwd=nanogpt)
    assert done.returncode == 0, done.stderr
    shown = run_runar(["rerun", "base", "--set", "seed=7", "--dry-run"], cwd=nanogpt)
    assert shown.returncode == 0, shown.stderr
    # `--seed 7` would trip the configurator's assert; nanoGPT only reads --key=value
    assert shown.stdout.splitlines()[0].endswith("train.py --learning_rate=1e-3 --seed=7")
    rerun = run_runar(["rerun", "base", "--set", "seed=7"], cwd=nanogpt, timeout=60)
    assert rerun.returncode == 0, rerun.stderr


def test_hf_trainer_sweep_file_ranks_by_eval_loss_shown_first(store: Store, tmp_path: Path) -> None:
    shutil.copy(SCRIPTS / "train_hf.py", tmp_path / "run_glue.py")
    (tmp_path / "sweep.toml").write_text(
        'script = "run_glue.py"\nmethod = "random"\ncount = 2\nseed = 3\nmetric = "eval_loss"\n'
        'name = "glue"\njobs = 2\n[fixed]\nmodel_name_or_path = "bert-base-uncased"\n'
        "do_eval = true\nlogging_steps = 2\nnum_train_epochs = 2\n"
        '[space]\nlearning_rate = "loguniform(1e-5, 1e-3)"\n'
    )
    done = run_runar(["sweep", "-f", "sweep.toml"], cwd=tmp_path, timeout=60,
                     TRUTH_FILE=str(tmp_path / "truth.json"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = run_runar(["sweep", "show", "glue"], cwd=tmp_path)
    header = shown.stdout.splitlines()[2].split()
    # the ranking metric stands next to the status and the ★, wherever it sorts
    assert header[:4] == ["#", "LEARNING_RATE", "STATUS", "EVAL_LOSS"], shown.stdout


def test_verbose_shows_a_tqdm_scripts_lines_without_its_carriage_returns(
    store: Store, tmp_path: Path
) -> None:
    shutil.copy(SCRIPTS / "train_hf.py", tmp_path / "run_glue.py")
    done = run_runar(
        ["sweep", "run_glue.py", "--model_name_or_path", "bert", "--logging_steps", "2",
         "--learning_rate", "1e-4,2e-4", "-v", "-n", "loud"],
        cwd=tmp_path, timeout=60, TRUTH_FILE=str(tmp_path / "truth.json"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # raw, each bar redraw's \r sent the cursor back over the "[0] " prefix
    assert "\r" not in done.stdout
    assert "[0] {'loss': " in done.stdout and "[1] {'loss': " in done.stdout


def test_a_point_whose_loss_went_nan_is_flagged_in_the_sweep(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    shutil.copy(SCRIPTS / "train_linear.py", tmp_path / "linear.py")
    done = run_runar(
        ["sweep", "linear.py", "--lr", "0.01,3", "-j", "2", "-n", "lin"], cwd=tmp_path, timeout=180
    )
    assert done.returncode == 0, done.stderr
    ended = {line.split("(")[0].strip(): line for line in done.stderr.splitlines() if "✓" in line}
    assert "⚠" not in ended["✓ point 0"]
    assert "⚠ loss went" in ended["✓ point 1"]  # "completed", with a loss of nan
    detail = sweep_detail(tmp_path, "lin")
    assert [p["anomalies"] > 0 for p in detail["points"]] == [False, True]
    assert detail["best"]["index"] == 0
    listed = run_runar(["ls", "--anomalous", "--where", "sweep:lin"], cwd=tmp_path)
    assert "lin-1" in listed.stdout and "lin-0" not in listed.stdout


def test_nanogpt_outside_git_keeps_its_configurator_and_config_file_for_a_rerun(
    nanogpt: Path, tmp_path: Path
) -> None:
    # a downloaded copy, no repository: configurator.py is exec'd and config/small.py is an
    # argument, so neither is an import; the rerun failed with FileNotFoundError without them
    (nanogpt / "config").mkdir()
    (nanogpt / "config" / "small.py").write_text("max_iters = 3\n")
    done = run_runar(["-n", "loose", "train.py", "config/small.py", "--seed=3"], cwd=nanogpt)
    assert done.returncode == 0, done.stderr
    checkout = tmp_path / "checkout"
    out = run_runar(["checkout", "loose", str(checkout)], cwd=nanogpt)
    assert out.returncode == 0, out.stderr
    assert (checkout / "configurator.py").read_bytes() == (nanogpt / "configurator.py").read_bytes()
    assert (checkout / "config" / "small.py").read_text() == "max_iters = 3\n"
    rerun = run_runar(["rerun", "loose"], cwd=nanogpt, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
