"""A mistyped option or a value outside the choices is one line naming it, never typer's panel."""

from __future__ import annotations

import pytest

from runar.store import Store
from tests.runner.helpers import run_runar


@pytest.mark.parametrize(
    ("argv", "culprit"),
    [
        (["report", "table", "--format", "docx"], "'docx' is not one of 'latex'"),
        (["report", "table", "--value", "median"], "'median' is not one of 'last', 'best'"),
        (["report", "tabel"], "no such command 'tabel'. Did you mean 'table'? see"),
        (["report", "table", "--metrcs", "loss"], "no such option: --metrcs"),
        (["rerun", "x7k2", "--times", "0"], "'--times': Input should be greater than or equal"),
        (["checkout"], "missing argument 'ref'"),
    ],
)
def test_a_usage_error_is_one_line_naming_it(store: Store, argv: list[str], culprit: str) -> None:
    done = run_runar(argv, cwd=store.root.parent)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr  # one line: no usage, no box
    assert culprit in done.stderr
    command = " ".join(["runar", *argv[: 2 if argv[0] == "report" else 1]]).replace(" tabel", "")
    assert done.stderr.startswith(f"error: {command}: ")
    assert done.stderr.rstrip().endswith(f"see '{command} --help'")
    assert "Traceback" not in done.stderr and "╭" not in done.stderr


def test_a_group_without_a_command_still_shows_its_help(store: Store) -> None:
    done = run_runar(["report"], cwd=store.root.parent)
    assert "table" in done.stdout + done.stderr and "error:" not in done.stderr
