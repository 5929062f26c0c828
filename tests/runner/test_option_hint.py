"""The hint after a script rejects one of runar's options written after it."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from runar.runner.option_hint import hint_for_run, option_hint


def _argparse_failure(args: list[str]) -> tuple[int, str]:
    """Exit code and stderr of a typical argparse script given ``args``."""
    parser = argparse.ArgumentParser(prog="train.py")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as done:
        parser.parse_args(args)
    return int(done.value.code or 0), err.getvalue()


def test_argparse_rejecting_dash_n_gets_the_rewritten_command() -> None:
    args = ["--epochs", "10", "-n", "baseline"]
    code, stderr = _argparse_failure(args)
    assert "unrecognized arguments: -n baseline" in stderr
    hint = option_hint(["train.py"], args, code, stderr)
    assert hint == (
        "runar: the script rejected '-n'; runar's own options go before the script: "
        "runar -n baseline train.py --epochs 10"
    )


def test_module_target_and_inline_value_are_kept() -> None:
    args = ["--tag=sweep", "--lr", "0.1"]
    code, stderr = _argparse_failure(args)
    hint = option_hint(["-m", "pkg.train"], args, code, stderr)
    assert hint is not None and hint.endswith("runar --tag=sweep -m pkg.train --lr 0.1")


def test_no_hint_when_the_script_succeeds_or_fails_for_another_reason() -> None:
    args = ["-n", "12"]
    assert option_hint(["train.py"], args, 0, "") is None
    assert option_hint(["train.py"], args, 1, "ValueError: bad shape\n") is None
    assert option_hint(["train.py"], args, None, None) is None  # killed by a signal


def test_no_hint_without_runar_options() -> None:
    args = ["--bogus"]
    code, stderr = _argparse_failure(args)
    assert option_hint(["train.py"], args, code, stderr) is None


def test_without_the_output_only_the_usage_exit_code_counts() -> None:
    assert option_hint(["train.py"], ["-t", "0.7"], 2, None) is not None
    assert option_hint(["train.py"], ["-t", "0.7"], 1, None) is None


def test_options_after_double_dash_are_never_runars() -> None:
    assert option_hint(["train.py"], ["--", "-n", "5"], 2, "error: -n") is None


def test_hint_for_a_module_run_and_none_for_a_command_run() -> None:
    argv = ["pkg.train", "-n", "x"]
    hint = hint_for_run(argv, ["/usr/bin/python3", "-m", *argv], 2)
    assert hint is not None and hint.endswith("runar -n x -m pkg.train")
    assert hint_for_run(["echo", "-n", "x"], ["echo", "-n", "x"], 2) is None
