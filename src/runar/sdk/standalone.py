"""A run started by the script itself (plain ``python``): what it captures and how it ends.

Under ``runar`` the runner records the start and the end; here the SDK does both. The
end comes at interpreter exit: completed, or failed with the reason (``"ValueError: bad
shape"``), the exception's type and the last lines of its traceback, taken from the
uncaught exception that stopped the script (``sys.excepthook`` is chained, never replaced).
``sys.exit(3)`` never reaches the hook, so such a run ends as completed.
"""

from __future__ import annotations

import atexit
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType
    from typing import Final

    from runar.events import GitState, RunStarted

GIT_TIMEOUT_S: Final = 3.0  # a `git status` slower than this is not worth delaying training
MAX_ERROR_CHARS: Final = 500  # the one-line reason; a huge message (a tensor repr) is cut
MAX_TRACEBACK_LINES: Final = 20  # the newest frames say where it broke; older ones are noise
MAX_TRACEBACK_CHARS: Final = 20_000


class Failure:
    """How an exception ended a run: status, one-line reason, type name and traceback tail."""

    __slots__ = ("error", "error_type", "status", "traceback")

    def __init__(self, status: str, error: str, error_type: str, traceback: str) -> None:
        self.status = status
        self.error = error
        self.error_type = error_type
        self.traceback = traceback


def type_name(kind: type[BaseException]) -> str:
    """The name Python's own traceback prints: qualified unless builtin or from __main__."""
    module = getattr(kind, "__module__", None)
    if module in (None, "builtins", "__main__"):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


def error_line(exc: BaseException) -> str:
    """``"ValueError: bad shape"``: the type and the first line of the message, capped."""
    name = type_name(type(exc))
    try:
        message = str(exc).strip()
    except Exception:  # a broken __str__ must not hide the failure itself
        message = "<unprintable message>"
    line = f"{name}: {message.splitlines()[0]}" if message else name
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def failure_of(exc: BaseException) -> Failure:
    """The Failure an exception stands for; Ctrl-C is 'killed', anything else 'failed'."""
    import traceback

    lines = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).splitlines()
    tail = "\n".join(lines[-MAX_TRACEBACK_LINES:])[-MAX_TRACEBACK_CHARS:]
    status = "killed" if isinstance(exc, KeyboardInterrupt) else "failed"
    return Failure(status, error_line(exc), type_name(type(exc)), tail)


_uncaught: Failure | None = None  # the exception ending the script, seen by the excepthook
_installed = False


def _git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                target = (folder / text[len("gitdir:") :].strip()).resolve()
                return target if target.is_dir() else None
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    common = git_dir
    commondir = git_dir / "commondir"
    if commondir.is_file():
        common = (git_dir / commondir.read_text().strip()).resolve()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            return loose.read_text().strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(errors="replace").splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref:
                return sha
    return None


def _is_dirty(root: Path) -> bool:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def git_state(start: Path) -> GitState | None:
    """Commit and branch read from the .git files (no gitpython: it is too heavy here)."""
    from runar.events import GitState

    try:
        git_dir = _git_dir(start.resolve())
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text().strip()
        root = git_dir.parent if git_dir.name == ".git" else start.resolve()
        if head.startswith("ref:"):
            ref = head[4:].strip()
            branch = ref.removeprefix("refs/heads/")
            commit = _resolve_ref(git_dir, ref)
        else:
            branch, commit = None, head or None
        return GitState(commit=commit, branch=branch, dirty=_is_dirty(root), root=str(root))
    except OSError:
        return None


def _script_folder() -> Path:
    from pathlib import Path

    script = sys.argv[0] if sys.argv else ""
    if script and script not in ("-c", "-m") and os.path.isfile(script):
        return Path(script).absolute().parent
    return Path.cwd()


def run_started(
    run_id: str,
    name: str | None,
    parent_run: str | None = None,
    project: str | None = None,
    store_root: Path | None = None,
) -> RunStarted:
    """The RunStarted event of a run this process starts by itself."""
    from runar.events import RunStarted
    from runar.ids import host_name
    from runar.projects import default_project
    from runar.redact import redact_argv

    uname = os.uname()
    folder = _script_folder()
    git = git_state(folder)
    repo_root = git.root if git is not None else None
    project = default_project(store_root or folder, project, repo_root, folder)
    return RunStarted(
        run_id=run_id,
        name=name,
        source="sdk",
        argv=redact_argv(list(sys.argv)),
        command=redact_argv([sys.executable, *getattr(sys, "orig_argv", sys.argv)[1:]]),
        cwd=os.getcwd(),
        host=host_name(),
        pid=os.getpid(),
        user=os.environ.get("USER") or os.environ.get("LOGNAME") or "",
        python=sys.version.split()[0],
        executable=sys.executable,
        platform=f"{uname.sysname}-{uname.release}-{uname.machine}",
        git=git,
        parent_run=parent_run,
        project=project,
    )


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    global _uncaught
    try:
        _uncaught = failure_of(exc)
    finally:  # whatever happens here, the user's hook (or Python's) still prints the error
        _previous_hook(kind, exc, tb)


_previous_hook = sys.excepthook


def install_exit_hooks(finish_all: Callable[[Failure | None], None]) -> None:
    """Finish this process's own runs at exit; call after the first writer exists.

    atexit runs handlers last-in first-out, so registering after the journal's own
    handler means the runs are finished before the writers are closed.
    """
    global _installed, _previous_hook
    if _installed:
        return
    _installed = True
    _previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit, finish_all)


def _at_exit(finish_all: Callable[[Failure | None], None]) -> None:
    finish_all(_uncaught)
