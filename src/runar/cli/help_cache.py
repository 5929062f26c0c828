"""`runar --help` and `runar COMMAND --help` replayed from a cache of typer's own output.

Rendering help takes typer, every command module, a pydantic validator per option and
rich's markdown renderer: ~250 ms, for text that only changes when runar does. The
first time, typer renders it as usual and the exact bytes are kept under
``$XDG_CACHE_HOME/runar/help/``, keyed by everything that shapes them: the arguments,
runar's and typer's versions, the size and mtime of every runar source file, the
terminal (a tty or not, its size) and the variables rich reads for colour and width.
Later calls print those bytes (~20 ms). A cache that cannot be read or written is
skipped in silence: help never fails because of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path
from typing import Final, TextIO

from runar.cli import COMMANDS, HELP_TOKENS

# `runar report table --help`: a sub-command's help, for commands that are groups only (a
# `runar sweep train.py --help` must never be taken for help and replayed)
GROUPS: Final = ("import", "report", "token", "remote")
# what rich and typer read to choose colours and width (rich/console.py, typer/rich_utils.py)
TERMINAL_VARIABLES: Final = (
    "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE",
    "TTY_INTERACTIVE", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "JUPYTER_COLUMNS",
    "JUPYTER_LINES", "_TYPER_FORCE_DISABLE_TERMINAL", "TYPER_USE_RICH", "PYTHONIOENCODING",
    "LANG", "LC_ALL", "LC_CTYPE",
)  # fmt: skip


def wants_help(args: list[str]) -> bool:
    """True for ``--help``, ``COMMAND --help`` and ``GROUP COMMAND --help`` exactly."""
    if not args or args[-1] not in HELP_TOKENS:
        return False
    words = args[:-1]
    if any(w.startswith("-") for w in words):
        return False
    if len(words) == 2:
        return words[0] in GROUPS
    return len(words) < 2 and (not words or words[0] in COMMANDS)


def cache_dir() -> Path:
    """Where rendered help is kept (machine-local, deletable)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "runar" / "help"


def _sources_stamp() -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every runar source file: a changed runar is another key."""
    package = Path(__file__).resolve().parent.parent
    found: list[tuple[str, int, int]] = []
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(root, name))
                found.append((os.path.join(root, name), st.st_size, st.st_mtime_ns))
    return found


def _terminal() -> list[object]:
    sizes: list[object] = []
    for fd in (0, 1, 2):
        try:
            sizes.append((os.isatty(fd), tuple(os.get_terminal_size(fd))))
        except OSError:
            sizes.append(None)
    return sizes


def _library_stamp(name: str) -> tuple[str, int, int] | None:
    """(path, size, mtime) of a library's __init__.py: an upgrade rewrites it."""
    from importlib.util import find_spec

    spec = find_spec(name)  # finds a top-level package without importing it
    if spec is None or spec.origin is None:
        return None
    st = os.stat(spec.origin)
    return spec.origin, st.st_size, st.st_mtime_ns


def cache_key(args: list[str]) -> str:
    """Everything the rendered bytes depend on, hashed."""
    from runar import __version__

    parts: list[object] = [
        args,
        __version__,
        _library_stamp("typer"),
        _library_stamp("rich"),
        sys.version,
        sys.stdout.isatty(),
        getattr(sys.stdout, "encoding", None),
        _terminal(),
        [(name, os.environ.get(name)) for name in TERMINAL_VARIABLES],
        _sources_stamp(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class _Tee:
    """sys.stdout as rich and click see it, keeping a copy of what they write."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self.copy: list[str] = []
        self.encoding = real.encoding
        self.errors = real.errors

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click echoes bytes where a stream looks binary
            text = text.decode(self.encoding or "utf-8", self.errors or "strict")
        self.copy.append(text)
        return self.real.write(text)

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return self.real.isatty()

    def fileno(self) -> int:
        return self.real.fileno()


def print_cached(args: list[str]) -> bool:
    """Print the help for ``args`` from the cache; False when it is not there."""
    try:
        text = (cache_dir() / cache_key(args)).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def render_and_keep(args: list[str]) -> None:
    """Let typer print the help, and keep its exact output for the next time."""
    from runar.cli.commands import app

    tee = _Tee(sys.stdout)
    code: int | str | None = 0
    sys.stdout = tee  # type: ignore[assignment]
    try:
        app(args=args, prog_name="runar")
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdout = tee.real
    if code in (0, None) and tee.copy:
        _keep(cache_key(args), "".join(tee.copy))
    raise SystemExit(code)


def _keep(key: str, text: str) -> None:
    folder = cache_dir()
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / key)  # whole or absent: a reader never sees half of it
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
