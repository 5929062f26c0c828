"""The typer-free `runar ls` path must answer exactly as the typer command does."""

import json

import pytest
from typer.testing import CliRunner

from runar.cli.listing import parse_fast

from .helpers import invoke, invoke_main


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
