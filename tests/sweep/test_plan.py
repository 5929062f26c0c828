"""plan.py and sweep_file.py: the script's arguments and sweep files become points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runar.cli.sweep import parse
from runar.errors import UsageError
from runar.sweep.plan import make_plan
from runar.sweep.sweep_file import load


def test_each_point_is_the_argument_list_with_its_values_in_the_form_written():
    plan = make_plan("train.py", ["--lr=1e-3,1e-4", "--seed", "0..1", "--epochs", "10", "data"])
    assert [p.args for p in plan.points] == [
        ["--lr=1e-3", "--seed", "0", "--epochs", "10", "data"],
        ["--lr=1e-3", "--seed", "1", "--epochs", "10", "data"],
        ["--lr=1e-4", "--seed", "0", "--epochs", "10", "data"],
        ["--lr=1e-4", "--seed", "1", "--epochs", "10", "data"],
    ]
    assert plan.points[3].params == {"--lr": "1e-4", "--seed": "1"}
    assert plan.space() == {"--lr": "1e-3,1e-4", "--seed": "0..1"}


def test_a_negative_number_is_a_value_and_a_flag_stays_a_flag():
    plan = make_plan("t.py", ["--verbose", "--shift", "-1..0", "--x", "1,2"])
    assert plan.points[0].args == ["--verbose", "--shift", "-1", "--x", "1"]
    assert len(plan.points) == 4


def test_random_draws_count_points_and_repeats_with_its_seed():
    args = ["--lr", "loguniform(1e-5,1e-2)", "--bs", "choice(32,64)"]
    plan = make_plan("t.py", args, "random", count=5, seed=3)
    assert len(plan.points) == 5
    again = make_plan("t.py", args, "random", count=5, seed=3)
    assert [p.params for p in plan.points] == [p.params for p in again.points]


@pytest.mark.parametrize(
    ("args", "method", "count", "says"),
    [
        (["--epochs", "10"], "grid", None, "nothing to sweep"),
        (["--lr", "1,2", "--lr", "3,4"], "grid", None, "swept twice"),
        (["--lr", "uniform(0,1)"], "random", None, "--random N"),
        (["--lr", "uniform(0,1)"], "grid", None, "option --lr"),
    ],
)
def test_plan_mistakes_are_one_clear_line(args, method, count, says):
    with pytest.raises(UsageError, match=says):
        make_plan("t.py", args, method, count)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_toml_sweep_file_gives_script_fixed_args_and_space(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'script = "train.py"\nmetric = "val/loss"\nmode = "min"\njobs = 2\n'
        '[fixed]\nepochs = 10\namp = true\n[space]\nlr = [1e-3, 3e-4]\nseed = "0..2"\n',
    )
    spec = load(path)
    assert spec.script == "train.py" and spec.metric == "val/loss" and spec.jobs == 2
    assert spec.args == ["--epochs", "10", "--amp", "--lr", "0.001,0.0003", "--seed", "0..2"]
    assert len(make_plan(spec.script, spec.args).points) == 6


def test_a_fixed_value_with_commas_is_one_value_not_a_sweep(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'script = "train.py"\nargs = ["--data", "a.csv,b.csv"]\n'
        '[fixed]\nbetas = "0.9,0.999"\n[space]\nseed = [1, 2]\n',
    )
    spec = load(path)
    plan = make_plan(spec.script, spec.args, fixed=spec.fixed)
    # [fixed] and args "pass unchanged": they were swept, 8 points instead of 2
    assert [p.args for p in plan.points] == [
        ["--data", "a.csv,b.csv", "--betas", "0.9,0.999", "--seed", "1"],
        ["--data", "a.csv,b.csv", "--betas", "0.9,0.999", "--seed", "2"],
    ]
    assert plan.space() == {"--seed": "1,2"}


def test_yaml_and_json_files_read_the_same_keys(tmp_path):
    yaml_path = write(
        tmp_path,
        "s.yaml",
        "script: train.py\nmethod: random\ncount: 4\nspace:\n  lr: loguniform(1e-5, 1e-2)\n",
    )
    data = {"script": "train.py", "method": "random", "count": 4,
            "space": {"lr": "loguniform(1e-5, 1e-2)"}}  # fmt: skip
    json_path = write(tmp_path, "s.json", json.dumps(data))
    for path in (yaml_path, json_path):
        spec = load(path)
        assert (spec.method, spec.count, spec.args) == (
            "random",
            4,
            ["--lr", "loguniform(1e-5, 1e-2)"],
        )


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("s.toml", 'script = "t.py"\nspaec = 1\n', "unknown key 'spaec'"),
        ("s.toml", "[space]\nlr = [1]\n", "give the script"),
        ("s.toml", 'script = "t.py"\nmethod = "bayes"\n', "grid or random"),
        ("s.toml", 'script = "t.py"\ncount = "x"\n', "whole number"),
        ("s.toml", "script = \n", "does not parse"),
        ("s.ini", "", ".toml"),
        ("s.toml", "", "UTF-8"),
        ("s.toml", 'script = "t.py"\n[space]\nbetas = ["0.9,0.99", "0.8,0.9"]\n', "a comma"),
    ],
)
def test_a_bad_sweep_file_is_one_line_naming_it(tmp_path, name, text, says):
    path = write(tmp_path, name, text)
    if says == "UTF-8":
        path.write_bytes(b"\xff\xfescript = 1")  # a traceback before
    with pytest.raises(UsageError, match=says) as caught:
        load(path)
    assert "\n" not in str(caught.value)


def test_sweep_options_go_before_or_after_the_script_and_dashdash_ends_them():
    request = parse(["-j", "2", "train.py", "--lr", "1,2", "-n", "lrs", "--", "-n", "12"])
    assert (request.jobs, request.name, request.script) == (2, "lrs", "train.py")
    assert request.args == ["--lr", "1,2", "-n", "12"]


def test_inline_values_and_runner_options_pass_on():
    request = parse(["train.py", "--lr=1,2", "--jobs=3", "-t", "cifar", "--no-parse"])
    assert request.jobs == 3 and request.args == ["--lr=1,2"]
    assert request.runner_options == ["-t", "cifar", "--no-parse"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["-j", "zero", "t.py"], "option -j takes a whole number"),
        (["-j", "0", "t.py"], "option -j must be 1 or more"),
        (["--mode", "best", "t.py"], "option --mode takes min or max"),
        (["--on", "slurm", "t.py"], "option --on takes local, ray"),
        (["--bogus", "t.py"], "unknown option '--bogus'"),
        (["t.py", "--lr", "1,2", "-n"], "option -n needs a value"),
        (["--resume", "x", "t.py"], "--resume takes the sweep"),
    ],
)
def test_command_line_mistakes_name_the_option(argv, says):
    with pytest.raises(UsageError, match=says):
        parse(argv)


def test_remote_reaches_every_points_runner():
    request = parse(["--remote", "team", "train.py", "--lr", "1,2"])
    assert request.runner_options == ["--remote", "team"]
