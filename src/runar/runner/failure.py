"""Why a run failed, read from the tail of the child's stderr: pure text work, no I/O.

The last Python traceback in the tail wins: with chained exceptions ("During handling
of the above exception…") that is the one that ended the program. Its exception line
becomes ``error`` exactly as Python printed it (``torch.cuda.OutOfMemoryError: CUDA out
of memory…``, the module kept), and ``error_type`` is the bare class name
(``OutOfMemoryError``), the same spelling the SDK records from ``type(exc).__name__``,
so one filter finds a failure whichever side recorded it. Without a traceback (an
argparse usage error, ``sys.exit("message")``, a program that is not Python) the
reason is the last non-empty line and ``error_type`` stays None.

Terminal noise is removed first: ANSI escape sequences, and everything a ``\\r`` rewrote
(a tqdm bar leaves only its last frame, which may run straight into "Traceback").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

TRACEBACK_LINES: Final = 15  # kept on the event: the innermost frames and the exception
MAX_MESSAGE_LINES: Final = 10  # a multi-line exception message is cut after this many
MAX_ERROR_CHARS: Final = 500  # `error` is one line for a table cell, not a log
HEADER: Final = "Traceback (most recent call last):"
SYNTAX_FRAME: Final = '  File "'
GROUP_HEADER_PREFIX: Final = "+ Exception Group"
GROUP_BODY: Final = "  | "

# CSI (colours, cursor moves), OSC (titles, hyperlinks) and the two-byte escapes
_ANSI: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"
)
# `module.Class: message`, `Class`, or `module.Class` alone (KeyboardInterrupt)
_EXCEPTION: Final = re.compile(
    r"^(?P<type>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?::(?: (?P<msg>.*))?)?$"
)


@dataclass(frozen=True)
class Failure:
    """The one-line reason, the exception class when there was one, the traceback's end."""

    error: str
    error_type: str | None = None
    traceback: str | None = None


def clean_terminal_text(text: str) -> list[str]:
    """Lines as a terminal would show them: escapes gone, ``\\r``-rewritten parts dropped."""
    lines = []
    for raw in _ANSI.sub("", text).split("\n"):
        parts = [part for part in raw.split("\r") if part]
        lines.append(parts[-1].rstrip() if parts else "")
    return lines


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def _last_header(lines: list[str]) -> int | None:
    """The last top-level traceback header; nested ones (``  | Traceback``) belong to a group."""
    for index in range(len(lines) - 1, -1, -1):
        at = lines[index].find(HEADER)
        if at < 0:
            continue
        prefix = lines[index][:at]
        if "|" in prefix:
            continue  # a sub-exception of an ExceptionGroup: the group's header comes first
        if prefix.rstrip().endswith(GROUP_HEADER_PREFIX):
            # `  + Exception Group Traceback…`: its body is the `  | ` lines after it
            body = [
                line[len(GROUP_BODY) :]
                for line in lines[index + 1 :]
                if line.startswith(GROUP_BODY)
            ]
            lines[index:] = [HEADER, *body]
        else:
            lines[index] = lines[index][at:]  # a progress bar may have run into it
        return index
    return None


def _frames_end(lines: list[str], start: int) -> int:
    """The first line from ``start`` on that is not a frame (frames are indented)."""
    index = start
    while index < len(lines) and lines[index].startswith(" "):
        index += 1
    return index


def _message_end(lines: list[str], start: int) -> int:
    """The exception message runs to the next blank line (bounded)."""
    index = start + 1
    while index < len(lines) and lines[index].strip() and index - start < MAX_MESSAGE_LINES:
        index += 1
    return index


def _from_exception_line(lines: list[str], first: int, at: int) -> Failure | None:
    """A Failure for the exception printed at ``lines[at]``, traceback from ``first``."""
    match = _EXCEPTION.match(lines[at])
    if match is None:
        return None
    end = _message_end(lines, at)
    error = _one_line(" ".join(lines[at:end]))
    block = lines[first:end]
    return Failure(
        error=error,
        error_type=match["type"].rsplit(".", 1)[-1],
        traceback="\n".join(block[-TRACEBACK_LINES:]),
    )


def _python_traceback(lines: list[str]) -> Failure | None:
    header = _last_header(lines)
    if header is not None:
        at = _frames_end(lines, header + 1)
        if at < len(lines):
            return _from_exception_line(lines, header, at)
        return None
    # a SyntaxError in the script itself comes without the header: `  File "x.py", line 3`
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(SYNTAX_FRAME):
            at = _frames_end(lines, index + 1)
            if at < len(lines) and lines[at].split(":")[0].endswith("Error"):
                return _from_exception_line(lines, index, at)
            return None
    return None


def extract_failure(stderr_tail: str, traceback_only: bool = False) -> Failure | None:
    """Why the program failed, from the end of its stderr; None when it says nothing.

    Args:
        traceback_only: ignore plain lines (for a killed run, the last line says nothing)
    """
    lines = clean_terminal_text(stderr_tail)
    found = _python_traceback(lines)
    if found is not None or traceback_only:
        return found
    for line in reversed(lines):
        if line.strip():
            return Failure(error=_one_line(line))
    return None
