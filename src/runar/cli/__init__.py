"""runar's command line: `runar SCRIPT ...` runs a script, the commands read what runs recorded.

``main()`` is the console script and the one place that turns a RunarError into a
single red line on stderr and exit code 1. Command modules import only typer and the
light parts of runar at module level; rich, polars, lmdb and textual load inside the
commands that need them, so `runar ls` starts fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Final

import typer
from typer.core import TyperGroup

from runar import __version__
from runar.cli import compare, export, maintenance, output, runs, show
from runar.errors import RunarError

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

# Used until the runner's own help text is importable; keep in step with cli/runner.py.
FALLBACK_RUNNER_HELP: Final = """\
Run a script (anything that is not a command above):
  runar [RUNAR OPTIONS] SCRIPT.py [ARGS...]       runar train.py --epochs 10 -n baseline
  runar [RUNAR OPTIONS] -m MODULE [ARGS...]       runar -m package.train --lr 0.1
  runar [RUNAR OPTIONS] -- COMMAND [ARGS...]      runar -- make train
"""
HELP_FLAGS: Final = ("--help", "-h", "--version", "-V")


def runner_help() -> str:
    """How to run a script, from the runner itself when it is there."""
    try:
        from runar.cli.runner import RUNNER_HELP
    except ImportError:
        return FALLBACK_RUNNER_HELP
    return str(RUNNER_HELP)


class RunarGroup(TyperGroup):
    """The command group; its help ends with how `runar SCRIPT ...` works."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        # rich prints its part straight away; this text is echoed right after it
        formatter.write("\n" + runner_help().rstrip("\n") + "\n")


app = typer.Typer(
    cls=RunarGroup,
    name="runar",
    help="Run any training script and record everything; look at the runs afterwards or live.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"runar {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Run any training script and record everything; look at the runs afterwards or live."""


app.command("ls")(runs.list_runs)
app.command("show")(show.show)
app.command("logs")(output.logs)
app.command("diff")(compare.diff)
app.command("rm")(runs.remove)
app.command("clean")(runs.clean)
app.command("replay")(output.replay)
app.command("export")(export.export)
app.command("reindex")(maintenance.reindex)

COMMANDS: Final = ("ls", "show", "logs", "diff", "rm", "clean", "replay", "export", "reindex")


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
    runs.show_runs()


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
        app(args=args, prog_name="runar")
    except RunarError as exc:
        print_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
