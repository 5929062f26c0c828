"""The typer-free `runar ls` path must answer exactly as the typer command does."""

import json

import pytest
from typer.testing import CliRunner

from runar.cli.listing import differing_config, parse_fast
from runar.store import Store

from .helpers import invoke, invoke_main, write_run


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--json"],
        ["ls", "--json", "--status", "failed"],
        ["ls", "--json", "-t", "baseline"],
        ["ls", "--json", "--name=high"],
        ["ls", "--json", "-l", "1"],
    ],
)
def test_fast_path_matches_typer(
    cli: CliRunner, two_runs: tuple[str, str], args: list[str]
) -> None:
    assert parse_fast(args) is not None
    code, fast_out, _ = invoke_main(cli, *args)
    slow = json.loads(invoke(cli, *args).stdout)
    assert code == 0
    for record in slow:
        record.pop("duration_s")  # measured at two instants only for running runs
    fast = json.loads(fast_out)
    for record in fast:
        record.pop("duration_s")
    assert fast == slow


@pytest.mark.parametrize(
    "args", [["ls", "--help"], ["ls", "--bogus"], ["ls", "--limit", "x"], ["ls", "-n"], ["show"]]
)
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert parse_fast(args) is None


def test_fast_path_rejects_a_negative_limit(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    code, _, err = invoke_main(cli, "ls", "--limit", "-1")
    assert code == 1 and "--limit" in err


@pytest.mark.parametrize("limit", ["--5", "²", "x"])
def test_a_limit_that_is_no_number_is_worded_by_typer(cli: CliRunner, limit: str) -> None:
    code, _, err = invoke_main(cli, "ls", "--limit", limit)
    assert code == 2 and "invalid value for '--limit'" in err


def test_ls_shows_differing_config_and_why_a_run_failed(cli: CliRunner, store: Store) -> None:
    write_run(store, name="small", config={"seed": 1}, args=["--lr", "0.001", "--n_layer=3"])
    write_run(
        store,
        name="big",
        config={"seed": 1},
        args=["--lr", "0.01", "--n_layer=12"],
        status="failed",
        error="ValueError: shapes (3,) and (4,) not aligned",
        error_type="ValueError",
        traceback='  File "train.py", line 9, in <module>\nValueError: shapes (3,) and (4,)',
    )
    out = invoke(cli, "ls").stdout
    header = out.splitlines()[0].split()
    assert "LR" in header and "N_LAYER" in header and "SEED" not in header  # seed is equal
    assert "✗ failed: ValueError" in out
    big, small = json.loads(invoke(cli, "ls", "--json").stdout)
    assert big["config"] == {"lr": 0.01, "n_layer": 12, "seed": 1}
    assert (big["error_type"], big["failure"]) == ("ValueError", "ValueError")
    assert big["error"] == "ValueError: shapes (3,) and (4,) not aligned"
    assert small["error"] is None and small["failure"] is None


def test_keys_differing_only_in_case_keep_their_case_as_headings(
    cli: CliRunner, store: Store
) -> None:
    # PyTorch's MNIST example prints "Loss:", another script logs "loss"
    write_run(store, name="mnist", metrics=[{"Loss": 0.3}])
    write_run(store, name="mine", metrics=[{"loss": 0.2, "acc": 0.9}])
    header = invoke(cli, "ls").stdout.splitlines()[0].split()
    assert "Loss" in header and "loss" in header and "ACC" in header and "LOSS" not in header


def test_a_failure_without_an_exception_shows_the_reasons_start(
    cli: CliRunner, store: Store
) -> None:
    reason = "cannot run 'train.sh': Permission denied while starting the job"
    write_run(store, status="failed", error=reason)
    (record,) = json.loads(invoke(cli, "ls", "--json").stdout)
    assert record["failure"] == reason[:39] + "…"
    assert record["failure"] in invoke(cli, "ls").stdout


def test_config_columns_pick_the_keys_that_differ() -> None:
    configs = [{"lr": 0.1, "seed": 1, "tags": [1]}, {"lr": 0.2, "seed": 1}, {"seed": 1}]
    assert differing_config(configs) == ["lr", "tags"]


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        ([], "showing the newest 2 of 5 runs; --limit 0 shows all"),
        (["--status", "failed"], "showing the newest 2 runs that match; --limit 0 shows all"),
        (["--status", "completed"], None),  # exactly 2 match: none is hidden
        (["--where", "status:completed"], None),
        (["--where", "status:failed"], "showing the newest 2 runs that match; --limit 0"),
        (["--sort", "name"], "showing the first 2 of 5 runs; --limit 0 shows all"),
        (["--where", "run", "--status", "completed"], None),  # 5 match the query, 2 both
    ],
)
def test_the_limit_hint_says_only_what_is_hidden(
    cli: CliRunner, store: Store, args: list[str], hint: str | None
) -> None:
    for i, status in enumerate(["completed", "failed", "failed", "completed", "failed"]):
        write_run(store, name=f"run{i}", status=status)
    code, out, err = invoke_main(cli, "ls", "--limit", "2", *args)
    assert code == 0 and sum(f"run{i} " in out for i in range(5)) == 2
    if hint is None:
        assert "showing" not in err
    else:
        assert hint in err
