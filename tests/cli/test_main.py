"""The entry point: help, version, dispatch, the error boundary, and real processes."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from runar import __version__
from runar.cli import COMMANDS
from runar.store import Store

from .helpers import invoke, invoke_main, write_run


def runar(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`runar ARGS` in a fresh interpreter, the store taken from RUNAR_DIR."""
    return subprocess.run(
        [sys.executable, "-m", "runar", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_help_lists_every_command_and_the_runner_usage(cli: CliRunner) -> None:
    out = invoke(cli, "--help").stdout
    for command in COMMANDS:
        assert f" {command} " in out, command
    assert "runar [OPTIONS] SCRIPT [ARGS...]" in out
    assert "-m MODULE" in out and "--no-parse" in out


def test_every_command_has_help(cli: CliRunner) -> None:
    for command in COMMANDS:
        result = invoke(cli, command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout, command


def test_version(cli: CliRunner) -> None:
    assert invoke(cli, "--version").stdout.strip() == f"runar {__version__}"


def test_no_arguments_off_a_terminal_prints_the_runs_table(
    cli: CliRunner, two_runs: tuple[str, str]
) -> None:
    code, out, _ = invoke_main(cli)
    assert code == 0 and "baseline" in out and "high-lr" in out


def test_unknown_option_is_a_usage_error(cli: CliRunner, store: Store) -> None:
    code, _, err = invoke_main(cli, "ls", "--bogus")
    assert code == 2 and "--bogus" in err


@pytest.mark.timeout(120)
def test_seed_flow_in_real_processes(store: Store) -> None:
    write_run(store, name="baseline", metrics=[{"accuracy": 0.891}], config={"lr": 0.001})
    write_run(store, name="tuned", metrics=[{"accuracy": 0.847}], config={"lr": 0.01})
    listing = runar("ls")
    assert listing.returncode == 0
    assert listing.stdout.index("tuned") < listing.stdout.index("baseline")
    diff = runar("diff", "baseline", "tuned")
    assert "accuracy: 0.891 → 0.847 (−0.044)" in diff.stdout
    assert runar("rm", "baseline", "--yes").returncode == 0
    names = [r["name"] for r in json.loads(runar("ls", "--json").stdout)]
    assert names == ["tuned"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("args", [("show", "nope"), ("diff", "nope", "nada"), ("logs", "nope")])
def test_unknown_ids_fail_with_one_line_in_a_real_process(
    store: Store, args: tuple[str, ...]
) -> None:
    write_run(store, name="exists")
    done = runar(*args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "no run matches 'nope'" in done.stderr


@pytest.mark.timeout(60)
def test_ls_loads_neither_polars_nor_textual(store: Store) -> None:
    write_run(store, name="light")
    probe = (
        "import sys\n"
        "from runar.cli import main\n"
        "try:\n    main(['ls'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('polars', 'textual', 'git', 'psutil') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
