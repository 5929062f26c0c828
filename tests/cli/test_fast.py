"""cli/fast.py: show, logs and diff without typer print what typer's path prints."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from runar.cli import fast
from runar.store import Store

from .helpers import invoke, invoke_main, write_run


def test_plain_arguments_take_the_fast_path() -> None:
    parsed = fast.parse(["logs", "abc", "-f", "--stream=stderr"])
    assert parsed is not None
    assert parsed[1] == {"ref": "abc", "follow": True, "stream": "stderr"}


def test_diff_flags_pair_like_typer() -> None:
    parsed = fast.parse(["diff", "--no-code", "a", "b", "--json", "--stat"])
    assert parsed is not None
    assert parsed[1] == {"ref_a": "a", "ref_b": "b", "code": False, "stat": True, "as_json": True}


@pytest.mark.parametrize(
    "args",
    [
        ["show", "abc", "--help"],  # help is typer's
        ["show"],  # a missing argument: typer words the error
        ["show", "a", "b"],
        ["show", "abc", "--jsn"],  # a typo: typer suggests
        ["logs", "abc", "--stream", "both", "--stream", "stdout"],
        ["logs", "abc", "--stream", "stdin"],  # a bad choice
        ["logs", "abc", "--stream"],
        ["show", "abc", "--json=1"],
        ["diff", "a", "--", "b"],
        ["ls"],
        ["rm", "abc"],
    ],
)
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert fast.parse(args) is None


def test_the_fast_path_imports_no_typer(store: Store) -> None:
    import subprocess

    run_id = write_run(store, name="quick")
    code = (
        "import sys; from runar.cli import main\n"
        "try:\n"
        f"    main(['show', '{run_id}', '--json'])\n"
        "except SystemExit: pass\n"
        "print('typer' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"RUNAR_DIR": str(store.root), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert '"name": "quick"' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False False"


@pytest.mark.parametrize(
    "args",
    [
        ["show", "{a}", "--json"],
        ["show", "{a}"],
        ["logs", "{a}"],
        ["logs", "{a}", "--stream", "stderr"],
        ["diff", "{a}", "{b}", "--json", "--no-code"],
        ["diff", "{a}", "{b}", "--stat"],
    ],
)
def test_same_output_as_typer(
    cli: CliRunner, two_runs: tuple[str, str], args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    a, b = two_runs
    argv = [arg.format(a=a, b=b) for arg in args]
    assert fast.parse(argv) is not None
    typer_result = invoke(cli, *argv)
    code, out, _err = invoke_main(cli, *argv)
    assert (code, out) == (typer_result.exit_code, typer_result.stdout)


def test_a_user_error_is_one_line_on_the_fast_path(cli: CliRunner, store: Store) -> None:
    write_run(store, name="quick")
    code, _out, err = invoke_main(cli, "show", "nope")
    assert code == 1
    assert err.strip() == "error: no run matches 'nope'; see 'runar ls'"
