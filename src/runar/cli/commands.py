"""The typer application: every `runar COMMAND`, and help that ends with the runner usage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import typer
from typer.core import TyperGroup

from runar import __version__
from runar.cli import (
    compare,
    edits,
    export,
    importing,
    maintenance,
    output,
    remote,
    report,
    reproduce,
    runs,
    serve,
    share,
    show,
    sweep,
    token,
)

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

# Used until the runner's own help text is importable; keep in step with cli/runner.py.
FALLBACK_RUNNER_HELP: Final = """\
Run a script (anything that is not a command above):
  runar [RUNAR OPTIONS] SCRIPT.py [ARGS...]       runar -n baseline train.py --epochs 10
  runar [RUNAR OPTIONS] -m MODULE [ARGS...]       runar -m package.train --lr 0.1
  runar [RUNAR OPTIONS] -- COMMAND [ARGS...]      runar -- make train
"""
HELP_WIDTH: Final = 100


def runner_help() -> str:
    """How to run a script, from the runner itself when it is there, wrapped to fit."""
    try:
        from runar.cli.runner import RUNNER_HELP as text
    except ImportError:
        text = FALLBACK_RUNNER_HELP
    import shutil
    import textwrap

    width = min(shutil.get_terminal_size().columns, HELP_WIDTH) - 2
    return "\n".join(
        line
        if len(line) <= width
        else textwrap.fill(line, width, initial_indent=" ", subsequent_indent=" ")
        for line in str(text).splitlines()
    )


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
app.command("projects")(runs.projects)
app.command("show")(show.show)
app.command("logs")(output.logs)
app.command("diff")(compare.diff)
app.command("rm")(runs.remove)
app.command("clean")(runs.clean)
app.command("replay")(output.replay)
app.command("export")(export.export)
app.command("reindex")(maintenance.reindex)
app.command("serve")(serve.serve)
app.command("checkout")(reproduce.checkout)
app.command("rerun")(reproduce.rerun)
share.register(app)
remote.register(app)
edits.register(app)
sweep.register(app)
app.add_typer(importing.app, name="import")
app.add_typer(report.app, name="report")
app.add_typer(token.app, name="token")
