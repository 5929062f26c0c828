"""runar's own options around the script: where they may go and what belongs to the script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runar.cli.runner import RUNNER_HELP, Invocation, is_runner_invocation, parse
from runar.errors import UsageError
from runar.store import Store

from .helpers import run_runar, started, write_script


@pytest.mark.parametrize(
    ("argv", "name", "tags", "script", "args"),
    [
        (["-n", "b", "train.py", "--epochs", "10"], "b", [], "train.py", ["--epochs", "10"]),
        (["--name=b", "-t", "a", "--tag=c", "train.py"], "b", ["a", "c"], "train.py", []),
        (["train.py", "-n", "12", "-t", "0.7"], None, [], "train.py", ["-n", "12", "-t", "0.7"]),
        (["train.py", "--epochs", "10", "-n", "b"], None, [], "train.py", ["--epochs", "10", "-n", "b"]),  # noqa: E501
        (["t.py", "--lr", "1", "--", "-n", "5"], None, [], "t.py", ["--lr", "1", "--", "-n", "5"]),
        (["train.py", "--no-parse", "--note", "x"], None, [], "train.py", ["--no-parse", "--note", "x"]),  # noqa: E501
        (["train.py", "-"], None, [], "train.py", ["-"]),
    ],
)  # fmt: skip
def test_runar_options_go_before_the_script_and_the_rest_is_the_scripts(
    argv: list[str], name: str | None, tags: list[str], script: str, args: list[str]
) -> None:
    found = parse(argv)
    assert (found.name, found.tags, found.script, found.args) == (name, tags, script, args)


def test_no_parse_and_note_before_the_script() -> None:
    found = parse(["--no-parse", "--note", "first try", "train.py"])
    assert (found.parse_output, found.note, found.args) == (False, "first try", [])


def test_module_form() -> None:
    found = parse(["-n", "m", "-t", "x", "-m", "pkg.train", "--epochs", "2", "-t", "y"])
    assert (found.module, found.args) == ("pkg.train", ["--epochs", "2", "-t", "y"])
    assert (found.name, found.tags) == ("m", ["x"])
    assert parse(["-mpkg.train"]).module == "pkg.train"


def test_double_dash_takes_everything_verbatim() -> None:
    found = parse(["-t", "x", "--", "bash", "-c", "echo -n hi", "-n", "y"])
    assert found == Invocation(tags=["x"], command=["bash", "-c", "echo -n hi", "-n", "y"])


@pytest.mark.parametrize(
    ("argv", "culprit"),
    [
        (["--epochs", "10", "train.py"], "--epochs"),
        (["-n"], "-n"),
        (["--"], "--"),
        (["-m"], "-m"),
        (["-n", "x"], "no script"),
        ([], "no script"),
        (["-t", " ", "train.py"], "-t"),
    ],
)
def test_mistakes_are_one_clear_usage_error(argv: list[str], culprit: str) -> None:
    with pytest.raises(UsageError, match=culprit):
        parse(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["train.py"],
        ["train.py", "ls"],
        ["-n", "x", "train.py"],
        ["-m", "pkg.mod"],
        ["--", "echo", "hi"],
        ["sub/run.sh"],
        ["-n", "x", "--epochs"],
        ["--name"],
    ],
)
def test_runner_invocations(argv: list[str]) -> None:
    assert is_runner_invocation(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["ls"],
        ["show", "abc"],
        ["logs", "x", "--follow"],
        ["-n", "x", "ls"],
        ["--help"],
        ["-h"],
        ["--version"],
        ["lss"],
    ],
)
def test_subcommands_and_help_are_not_runner_invocations(argv: list[str]) -> None:
    assert not is_runner_invocation(argv)


def test_an_existing_file_without_extension_is_a_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train").write_text("print(1)\n")
    assert is_runner_invocation(["train"])


def test_help_text_documents_the_rule() -> None:
    for needle in ("-n/--name", "-t/--tag", "--no-parse", "'--'", "-m MODULE", "before the script"):
        assert needle in RUNNER_HELP
    assert "runar -n baseline train.py --epochs 10" in RUNNER_HELP


ARGPARSE_SCRIPT = """\
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()
print("epochs", args.epochs)
"""


def test_a_runar_option_after_the_script_reaches_it_and_a_rejection_gets_a_hint(
    store: Store, tmp_path: Path
) -> None:
    write_script(tmp_path, ARGPARSE_SCRIPT, name="train.py")
    done = run_runar(["train.py", "--epochs", "3", "-n", "baseline"], tmp_path)
    assert done.returncode == 2
    assert "unrecognized arguments: -n baseline" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == (
        "runar: the script rejected '-n'; runar's own options go before the script: "
        "runar -n baseline train.py --epochs 3"
    )
    assert started(store).name is None


def test_no_hint_when_the_options_come_first(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, ARGPARSE_SCRIPT, name="train.py")
    done = run_runar(["-n", "baseline", "train.py", "--epochs", "3"], tmp_path)
    assert done.returncode == 0 and done.stdout == "epochs 3\n"
    assert "runar's own options" not in done.stderr
    assert started(store).name == "baseline"


def test_live_notices_of_a_short_silent_run_load_no_fold(store: Store) -> None:
    code = (
        "import sys\n"
        "from runar.cli.runner import start_live_notices\n"
        "from runar.store import Store\n"
        f"stop = start_live_notices(Store({str(store.root)!r}), '0123456789abcdef')\n"
        "stop(False)\n"
        "print('runar.projector' in sys.modules, 'runar.views.anomaly_live' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]
