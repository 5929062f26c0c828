"""The lines runar prints around a run, on stderr so the script's stdout stays clean.

▶ Experiment: baseline (x7k2m9ab)
├─ Git: main@a4f2c1d (dirty)
├─ Python: 3.11.4
├─ Args: --epochs 10
✓ Completed in 2m 15s
✓ Artifacts: model.pt (420 MB)

A failed run says why on the line under its status:

✗ Failed (exit 1) in 3.2s
└─ RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)
"""

from __future__ import annotations

import os
import shlex
import signal
from typing import TYPE_CHECKING, Final, TextIO

from runar.records import Record

if TYPE_CHECKING:  # the header is printed before msgspec loads
    from runar.events import GitState
    from runar.runner.git_state import GitHead
    from runar.runner.launch import ChildExit

SHORT_SHA: Final = 7
MAX_ARTIFACTS_SHOWN: Final = 5
_GREEN: Final = "\x1b[32m"
_RED: Final = "\x1b[31m"
_DIM: Final = "\x1b[2m"
_RESET: Final = "\x1b[0m"
MAX_REASON_CHARS: Final = 200  # the whole reason is in the record; the footer shows its start
WAITING_FOR_GROUP: Final = (
    "runar: the script exited; waiting for the processes it left running "
    "(Ctrl-C stops them, RUNAR_WAIT_GROUP=0 does not wait)"
)


class Header(Record):
    """What the header shows."""

    __slots__ = ("args", "git", "python", "short_id", "snapshot_skipped", "title")

    def __init__(
        self,
        title: str,
        short_id: str,
        git: GitState | GitHead | None,  # what git's first round said, or a rerun's record
        python: str,
        args: list[str],
        snapshot_skipped: tuple[str, ...] = (),
    ) -> None:
        self.title, self.short_id, self.git, self.python = title, short_id, git, python
        self.args, self.snapshot_skipped = args, snapshot_skipped


def use_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set."""
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def describe_git(git: GitState | GitHead | None) -> str:
    if git is None:
        return "not a git repository"
    where = git.branch or "detached"
    sha = git.commit[:SHORT_SHA] if git.commit else "no commits"
    return f"{where}@{sha}" + (" (dirty)" if git.dirty else "")


def header_lines(header: Header, colour: bool = False) -> list[str]:
    """The lines printed before the script starts."""
    lines = [
        f"▶ Experiment: {header.title} ({header.short_id})",
        _paint(f"├─ Git: {describe_git(header.git)}", _DIM, colour),
    ]
    if header.snapshot_skipped:
        skipped = ", ".join(header.snapshot_skipped[:MAX_ARTIFACTS_SHOWN])
        more = " …" if len(header.snapshot_skipped) > MAX_ARTIFACTS_SHOWN else ""
        lines.append(_paint(f"├─ Snapshot left out: {skipped}{more}", _DIM, colour))
    lines.append(_paint(f"├─ Python: {header.python}", _DIM, colour))
    if header.args:
        lines.append(_paint(f"├─ Args: {shlex.join(header.args)}", _DIM, colour))
    return lines


def format_duration(seconds: float) -> str:
    """'0.4s', '45s', '2m 15s', '3h 02m'."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def format_size(size: int) -> str:
    """'512 B', '3.4 KB', '420 MB' (powers of 1000, as file managers show)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1000
    return f"{size} B"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def footer_lines(
    result: ChildExit,
    seconds: float,
    artifacts: list[tuple[str, int]],
    colour: bool = False,
    reason: str | None = None,
) -> list[str]:
    """The lines printed after the script ended; ``reason`` is why it failed, if known."""
    took = format_duration(seconds)
    if result.signal is not None:
        lines = [_paint(f"☠ Killed by {signal_name(result.signal)} after {took}", _RED, colour)]
    elif result.exit_code == 0:
        lines = [_paint(f"✓ Completed in {took}", _GREEN, colour)]
    else:
        lines = [_paint(f"✗ Failed (exit {result.exit_code}) in {took}", _RED, colour)]
    if reason and result.exit_code != 0:
        shown = reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"
        lines.append(_paint(f"└─ {shown}", _RED, colour))
    if artifacts:
        shown = ", ".join(f"{n} ({format_size(s)})" for n, s in artifacts[:MAX_ARTIFACTS_SHOWN])
        more = f" and {len(artifacts) - MAX_ARTIFACTS_SHOWN} more" if len(artifacts) > 5 else ""
        lines.append(_paint(f"✓ Artifacts: {shown}{more}", _GREEN, colour))
    return lines
