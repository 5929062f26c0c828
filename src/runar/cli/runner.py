"""The `runar SCRIPT [ARGS...]` entry: runar's own options, then hand-off to runar.runner.

runar's options go before the script; every token after the script (or ``-m MODULE``)
is the script's, verbatim, so ``runar train.py -n 12 -t 0.7`` passes ``-n 12 -t 0.7`` on.
Parsed by hand because argparse would take the script's options for its own.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runar.cli import COMMANDS
from runar.compat import SHIMS, shim_folder
from runar.errors import RunarError, UsageError
from runar.records import Record

if TYPE_CHECKING:
    from collections.abc import Callable

    from runar.runner.request import RunRequest
    from runar.store import Store
    from runar.views.anomalies import Anomaly
    from runar.views.anomaly_live import LiveNotices

ENV_WATCH: Final = "RUNAR_WATCH"  # 0: no live anomaly notices from the runner
LIVE_AFTER_S: Final = 0.3  # the live notices start once the script has run this long
_OFF: Final = ("0", "false", "no", "off")
EXIT_USAGE: Final = 2
EXIT_ERROR: Final = 1
# names reserved for commands, today's and likely ones, so a script can never shadow them
SUBCOMMANDS: Final = frozenset(COMMANDS) | {"tui", "help", "version", "runs", "gc"}
VALUE_OPTIONS: Final = {
    "-n": "name",
    "--name": "name",
    "-t": "tag",
    "--tag": "tag",
    "-p": "project",
    "--project": "project",
}
VALUE_OPTIONS_LONG: Final = {
    "--name": "name",
    "--tag": "tag",
    "--note": "note",
    "--as": "as",
    "--project": "project",
    "--remote": "remote",
}
FLAG_OPTIONS: Final = {"--no-parse": "no_parse"}
OPTIONS_SUMMARY: Final = (
    "-n/--name NAME, -t/--tag TAG, -p/--project NAME, --note TEXT, --no-parse, --as wandb|mlflow, "
    "--remote NAME"
)

RUNNER_HELP: Final = (
    "Run a script and record it:  runar [OPTIONS] SCRIPT [ARGS...],  "
    "runar [OPTIONS] -m MODULE [ARGS...]  or  runar [OPTIONS] -- COMMAND [ARGS...].  "
    f"runar's own options ({OPTIONS_SUMMARY}; -t repeats) go before the script, as in "
    "'runar -n baseline train.py --epochs 10'; everything after the script belongs to "
    "it, so 'runar train.py -n 12' passes '-n 12' on. Everything after '--' is the "
    "command to run. The script's arguments become the run's config ('--lr 0.1' is "
    "lr=0.1). Output lines such as 'Epoch 3: loss=0.45' become metrics unless "
    "--no-parse is given. '--as wandb' (or mlflow) makes the script's own 'import wandb' "
    "load runar's wandb-compatible API instead, for that script only."
)


class Invocation(Record):
    """runar's options and the command they apply to."""

    __slots__ = (
        "args",
        "command",
        "module",
        "name",
        "note",
        "parse_output",
        "project",
        "remote",
        "script",
        "shims",
        "tags",
    )  # fmt: skip

    def __init__(
        self,
        name: str | None = None,
        tags: list[str] | None = None,
        note: str | None = None,
        project: str | None = None,
        parse_output: bool = True,
        shims: list[str] | None = None,  # --as: trackers runar stands in for
        script: str | None = None,
        module: str | None = None,
        command: list[str] | None = None,  # after `--`
        args: list[str] | None = None,
        remote: str | None = None,  # --remote: upload the run as it goes (docs/sharing.md)
    ) -> None:
        self.name, self.note, self.project, self.parse_output = name, note, project, parse_output
        self.tags = tags if tags is not None else []
        self.shims = shims if shims is not None else []
        self.script, self.module, self.remote = script, module, remote
        self.command = command if command is not None else []
        self.args = args if args is not None else []


def _take_option(argv: list[str], i: int, found: Invocation) -> int | None:
    """Consume runar's option at argv[i]; the next index, or None if it is not ours."""
    token = argv[i]
    if token in FLAG_OPTIONS:
        found.parse_output = False
        return i + 1
    key, inline = token, None
    if token.startswith("--") and "=" in token:
        key, inline = token.split("=", 1)
        if key not in VALUE_OPTIONS_LONG:
            return None
    field_name = VALUE_OPTIONS.get(key) or VALUE_OPTIONS_LONG.get(key)
    if field_name is None:
        return None
    if inline is None:
        if i + 1 >= len(argv):
            raise UsageError(f"option {key} needs a value; see 'runar --help'")
        inline, after = argv[i + 1], i + 2
    else:
        after = i + 1
    if field_name == "as":
        if inline not in SHIMS:
            raise UsageError(f"option --as takes {' or '.join(SHIMS)}, not {inline!r}")
        found.shims.append(inline)
    elif field_name == "tag":
        if not inline.strip():
            raise UsageError(f"option {key} needs a non-empty tag")
        found.tags.append(inline.strip())
    elif field_name == "name":
        found.name = inline
    elif field_name == "project":
        if not inline.strip():
            raise UsageError(f"option {key} needs a project name, e.g. {key} vision")
        found.project = inline.strip()
    elif field_name == "remote":
        found.remote = inline.strip() or None
    else:
        found.note = inline
    return after


def parse(argv: list[str]) -> Invocation:
    """Split argv into runar's options and the command; UsageError on mistakes."""
    found = Invocation()
    i = 0
    while i < len(argv):  # before the target: only runar's options
        token = argv[i]
        if token == "--":
            found.command = argv[i + 1 :]
            if not found.command:
                raise UsageError("nothing to run after '--'; e.g. 'runar -- python train.py'")
            return found
        if token == "-m" or (token.startswith("-m") and not token.startswith("--")):
            found.module = token[2:] or (argv[i + 1] if i + 1 < len(argv) else "")
            if not found.module:
                raise UsageError("option -m needs a module name, e.g. 'runar -m pkg.train'")
            i += 1 if token != "-m" else 2
            break
        if token.startswith("-") and token != "-":
            after = _take_option(argv, i, found)
            if after is None:
                raise UsageError(
                    f"unknown option {token!r} before the script; runar's options are "
                    f"{OPTIONS_SUMMARY}, and the script's go after it"
                )
            i = after
            continue
        found.script = token
        i += 1
        break
    else:
        raise UsageError("no script given; e.g. 'runar train.py --epochs 10'")
    found.args = argv[i:]  # after the target everything is the script's, even '--' and '-n'
    return found


def is_runner_invocation(argv: list[str]) -> bool:
    """True when argv asks to run a script, a module or a command, not a subcommand."""
    i, saw_ours = 0, False
    probe = Invocation()
    while i < len(argv):
        token = argv[i]
        if token == "--" or token == "-m" or (token.startswith("-m") and token[1] != "-"):
            return True
        if token.startswith("-") and token != "-":
            try:
                after = _take_option(argv, i, probe)
            except UsageError:
                return True  # runar's option without its value: the runner says so
            if after is None:
                return saw_ours  # --help, --version, or a CLI-wide option
            i, saw_ours = after, True
            continue
        return token not in SUBCOMMANDS and _looks_like_script(token)
    return False


def _looks_like_script(token: str) -> bool:
    return token.endswith(".py") or os.sep in token or Path(token).is_file()


def _is_executable_program(path: Path) -> bool:
    return path.suffix != ".py" and os.access(path, os.X_OK)


def build_request(found: Invocation) -> RunRequest:
    """The RunRequest for a parsed invocation; UsageError when the target is missing."""
    from runar.runner.request import RunRequest  # the runner's imports only when running

    if found.command:
        import shutil  # only here: with bz2 and lzma it costs ~2 ms to import

        program = found.command[0]
        if shutil.which(program) is None and not Path(program).is_file():
            raise UsageError(f"command not found: {program!r}; check its name or PATH")
        command, argv, title = found.command, found.command, Path(program).name
    elif found.module is not None:
        command = [sys.executable, "-m", found.module, *found.args]
        argv, title = [found.module, *found.args], found.module
    else:
        assert found.script is not None
        path = Path(found.script)
        if not path.is_file():
            where = "" if path.is_absolute() else f" in {Path.cwd()}"
            raise UsageError(f"no such script: {found.script!r}{where}; check the path")
        if _is_executable_program(path):
            program = found.script if os.sep in found.script else f".{os.sep}{found.script}"
            command = [program, *found.args]
        else:
            command = [sys.executable, found.script, *found.args]
        argv, title = [found.script, *found.args], path.name
    return RunRequest(
        command=command,
        argv=argv,
        title=found.name or title,
        name=found.name,
        tags=found.tags,
        note=found.note,
        project=found.project,
        parse_output=found.parse_output,
        import_paths=[shim_folder(name) for name in dict.fromkeys(found.shims)],
        remote=found.remote or os.environ.get("RUNAR_REMOTE") or None,
        live=None if os.environ.get(ENV_WATCH, "1").strip() in _OFF else start_live_notices,
    )


def _load_fold() -> None:
    """Import what LiveNotices.check() needs; a failure there is reported by check()."""
    with contextlib.suppress(Exception):
        import runar.projector  # noqa: F401


def start_live_notices(store: Store, run_id: str) -> Callable[[bool], None]:
    """Print a line on stderr when an anomaly first shows in the run; returns the stopper.

    The watch starts once the script has run LIVE_AFTER_S: a script that is over sooner
    loads none of the fold's modules unless a last look could find something (the
    stopper's argument: it printed, or its SDK wrote).
    """
    from runar.runner.header import use_colour

    colour = use_colour(sys.stderr)
    held: list[LiveNotices] = []
    lock = threading.Lock()
    stopped = threading.Event()

    def say(anomaly: Anomaly) -> None:
        from runar.views.anomaly_live import notice_line  # loaded with LiveNotices

        try:
            sys.stderr.write(notice_line(anomaly, colour) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not stop the run

    def make() -> LiveNotices:
        from runar.views.anomaly_live import LiveNotices

        return LiveNotices(store, run_id, say)

    def begin() -> None:
        if stopped.wait(LIVE_AFTER_S):
            return
        notices = make()
        with lock:
            if stopped.is_set():
                return
            held.append(notices.start())
        _load_fold()  # ~20 ms, here while the child runs, not after it ended

    threading.Thread(target=begin, name="runar-live", daemon=True).start()

    def stop(worth_a_look: bool) -> None:
        with lock:
            stopped.set()
        if held:
            notices = held[0]
            notices.stop()  # and a last check: what the script logged just before it ended
        elif worth_a_look:
            notices = make()
            notices.check()
        else:
            return
        if notices.failed:
            say_plain = f"runar: live anomaly notices stopped ({notices.failed})"
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(say_plain + "\n")

    return stop


def main_runner(argv: list[str]) -> int:
    """Run `runar [OPTIONS] SCRIPT ...`; the exit code to exit with (the process ends next)."""
    # no cycle collection while runar's modules load: its passes would walk import-time
    # objects they cannot free (~10 ms); the run's log turns it on again once it is open
    gc.disable()
    try:
        return _run(argv)
    finally:
        gc.freeze()  # the interpreter's teardown then skips them too (~12 ms less at exit)


def _run(argv: list[str]) -> int:
    probe = None
    try:
        found = parse(argv)
        # git's first round runs while the runner's modules load (~50 ms of imports)
        from runar.runner.git_state import start_probe

        probe = start_probe(Path.cwd())
        request = build_request(found)
    except UsageError as exc:
        if probe is not None:
            from runar.runner.git_state import capture_git

            capture_git(probe.cwd, "", snapshot=False, probe=probe)  # reap its processes
        print(f"runar: {exc}", file=sys.stderr)
        return EXIT_USAGE
    request.git_probe = probe
    from runar.runner.session import execute

    try:
        return execute(request)
    except RunarError as exc:
        print(f"runar: {exc}", file=sys.stderr)
        return EXIT_ERROR
