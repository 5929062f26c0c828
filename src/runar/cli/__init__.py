"""runar's command line: `runar SCRIPT ...` runs a script, the commands read what runs recorded.

``main()`` is the console script and the one place that turns a RunarError into a
single red line on stderr and exit code 1. Nothing heavy loads here: the typer app
(cli/commands.py) is imported only for commands that need it, `runar ls` takes a
typer-free path (cli/listing.py), and rich, polars, lmdb and textual load inside the
commands that use them.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Final

from runar.errors import RunarError

if TYPE_CHECKING:
    import typer

HELP_TOKENS: Final = ("--help", "-h")
COMMANDS: Final = (
    "ls", "show", "logs", "diff", "rm", "clean", "replay", "export", "reindex", "sync", "doctor",
    "serve", "import", "tag", "rename", "note", "set", "checkout", "rerun", "token",
    "report", "remote", "push", "pull",
    "projects", "sweep",
)  # fmt: skip
HELP_FLAGS: Final = ("--help", "-h", "--version", "-V")

__all__ = ["COMMANDS", "app", "main"]


def __getattr__(name: str) -> typer.Typer:
    """``runar.cli.app``, built on first use so that fast paths never import typer."""
    if name == "app":
        from runar.cli.commands import app

        return app
    raise AttributeError(f"module 'runar.cli' has no attribute '{name}'")


def print_error(message: str) -> None:
    """One red line on stderr."""
    from runar.cli.render import paint, wants_colour

    print(paint(f"error: {message}", "red", wants_colour(sys.stderr)), file=sys.stderr)


def _no_arguments() -> None:
    """A bare `runar`: the dashboard on a terminal, the runs table otherwise."""
    if sys.stdout.isatty() and sys.stdin.isatty():
        try:
            from runar.tui.app import run as run_tui
        except ImportError:
            run_tui = None
        if run_tui is not None:
            from runar.cli.access import current_store

            run_tui(current_store())
            return
    from runar.cli.listing import show_runs

    show_runs()


def _is_runner_invocation(args: list[str]) -> bool:
    """True when argv names a script to run rather than a command."""
    if args[0] in COMMANDS or args[0] in HELP_FLAGS:
        return False  # decided without importing the runner: keeps the commands fast
    try:
        from runar.cli.runner import is_runner_invocation
    except ImportError:
        return False
    return bool(is_runner_invocation(args))


def main(argv: list[str] | None = None) -> None:
    """The `runar` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args:
            _no_arguments()
            sys.exit(0)
        if _is_runner_invocation(args):
            from runar.cli.runner import main_runner

            sys.exit(main_runner(args))
        if args in (["--version"], ["-V"]):
            from runar import __version__

            print(f"runar {__version__}")
            sys.exit(0)
        if args[-1] in HELP_TOKENS:  # checked first: help_cache costs ~8 ms to import
            from runar.cli import help_cache

            if help_cache.wants_help(args):  # typer's help, replayed once it was rendered
                if help_cache.print_cached(args):
                    sys.exit(0)
                help_cache.render_and_keep(args)
        if args[0] == "ls":
            if argv is None:  # the console script: the process ends after the command
                gc.disable()  # no collections in a short command: they would free nothing
            from runar.cli.listing import parse_fast, run_fast

            fast = parse_fast(args)
            if fast is not None:
                run_fast(fast)
                if argv is None:
                    gc.freeze()  # the interpreter's teardown then skips them (~12 ms at exit)
                sys.exit(0)
        from runar.cli import fast as fast_path

        if fast_path.run(args, short_lived=argv is None):  # show, logs, diff without typer
            if argv is None:
                gc.freeze()  # as for ls: the interpreter's teardown skips what is frozen
            sys.exit(0)
        from runar.cli.commands import build_app

        build_app(args[0] if args[0] in COMMANDS else None)(args=args, prog_name="runar")
    except RunarError as exc:
        print_error(str(exc))
        caret = getattr(exc, "caret", None)  # a query error: the text, ^ under the bad token
        if caret:
            print(caret, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
