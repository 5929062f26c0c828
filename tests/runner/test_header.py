"""The header and footer lines around a run."""

from __future__ import annotations

import pytest

from runar.events import GitState
from runar.runner.header import (
    Header,
    footer_lines,
    format_duration,
    format_size,
    header_lines,
)
from runar.runner.launch import ChildExit


def test_header_shows_name_git_python_and_args() -> None:
    git = GitState(commit="a4f2c1d9e8", branch="main", dirty=True)
    top = Header("baseline", "x7k2m9ab", git, "3.11.4", ["--epochs", "10", "--msg", "a b"])
    assert header_lines(top) == [
        "▶ Experiment: baseline (x7k2m9ab)",
        "├─ Git: main@a4f2c1d (dirty)",
        "├─ Python: 3.11.4",
        "├─ Args: --epochs 10 --msg 'a b'",
    ]


def test_header_outside_git_and_without_args() -> None:
    lines = header_lines(Header("t.py", "abc", None, "3.11.4", []))
    assert lines[1] == "├─ Git: not a git repository"
    assert not any(line.startswith("├─ Args") for line in lines)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (ChildExit(0, None), "✓ Completed in 2m 15s"),
        (ChildExit(1, None), "✗ Failed (exit 1) in 2m 15s"),
        (ChildExit(None, 9), "☠ Killed by SIGKILL after 2m 15s"),
    ],
)
def test_footer_says_how_the_run_ended(result: ChildExit, expected: str) -> None:
    assert footer_lines(result, 135, [])[0] == expected


def test_footer_lists_artifacts_with_sizes() -> None:
    lines = footer_lines(ChildExit(0, None), 1, [("model.pt", 420_000_000), ("a.txt", 12)])
    assert lines[1] == "✓ Artifacts: model.pt (420 MB), a.txt (12 B)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.42, "0.4s"), (3, "3.0s"), (45, "45s"), (135, "2m 15s"), (7320, "2h 02m")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (999, "999 B"), (3400, "3.4 KB"), (420_000_000, "420 MB")]
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_shell_code_is_128_plus_the_signal() -> None:
    assert ChildExit(None, 9).shell_code == 137
    assert ChildExit(3, None).shell_code == 3


def test_a_failed_run_shows_its_reason_under_the_status() -> None:
    reason = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)"
    lines = footer_lines(ChildExit(1, None), 3.2, [], reason=reason)
    assert lines == ["✗ Failed (exit 1) in 3.2s", f"└─ {reason}"]


def test_a_completed_run_shows_no_reason() -> None:
    assert footer_lines(ChildExit(0, None), 1, [], reason="warning: slow") == [
        "✓ Completed in 1.0s"
    ]
