"""cli/help_cache.py: help replayed byte for byte, only under the key that rendered it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runar.cli import app, help_cache


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["--help"], True),
        (["-h"], True),
        (["show", "--help"], True),
        (["report", "table", "--help"], True),
        (["sweep", "train.py", "--help"], False),  # not a group: maybe the script's
        (["show", "abc", "--help"], False),
        (["nope", "--help"], False),
        (["show", "--json", "--help"], False),
        (["show"], False),
        ([], False),
    ],
)
def test_only_plain_help_requests_are_cached(args: list[str], wanted: bool) -> None:
    assert help_cache.wants_help(args) is wanted


def _runar(args: list[str], cache: Path, columns: str = "100") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "COLUMNS": columns}
    return subprocess.run(
        [sys.executable, "-m", "runar", *args], capture_output=True, text=True, env=env, check=True
    )


@pytest.mark.parametrize("args", [["--help"], ["diff", "--help"], ["report", "table", "--help"]])
def test_the_replay_is_typer_s_output(args: list[str], tmp_path: Path) -> None:
    first = _runar(args, tmp_path)
    assert len(list((tmp_path / "runar" / "help").iterdir())) == 1
    second = _runar(args, tmp_path)
    typer_out = CliRunner().invoke(app, args, terminal_width=100, env={"COLUMNS": "100"}).stdout
    assert first.stdout == second.stdout == typer_out
    assert "Usage: runar" in first.stdout


def test_the_replay_comes_from_the_cache(tmp_path: Path) -> None:
    _runar(["--help"], tmp_path)
    (entry,) = (tmp_path / "runar" / "help").iterdir()
    entry.write_text("kept\n")
    assert _runar(["--help"], tmp_path).stdout == "kept\n"
    wider = _runar(["--help"], tmp_path, columns="140")  # another terminal: another key
    assert "Usage: runar" in wider.stdout


def test_another_runar_is_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    before = help_cache.cache_key(["--help"])
    stamp = help_cache._sources_stamp()
    edited = [(path, size + 1, mtime) for path, size, mtime in stamp[:1]] + stamp[1:]
    monkeypatch.setattr(help_cache, "_sources_stamp", lambda: edited)
    assert help_cache.cache_key(["--help"]) != before


def test_an_unwritable_cache_still_prints_help(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    done = _runar(["show", "--help"], blocked)
    assert "Usage: runar show" in done.stdout
    assert done.stderr == ""
