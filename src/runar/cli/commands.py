"""The typer application: every `runar COMMAND`, and help that ends with the runner usage.

``app`` (every command, for help and tests) is built on first use; ``build_app(name)``
registers only the command a user typed, so only that command's module is imported and
typer builds its validators for that command's options alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from typer.core import TyperGroup

from runar import __version__
from runar.cli import output

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

    # a bad option or value is one line, as every other mistake is (cli/usage.py), not a panel
    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        from runar.cli.usage import said_in_one_line

        with said_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        from runar.cli.usage import said_in_one_line

        with said_in_one_line():
            return super().invoke(ctx)


def _print_version(value: bool) -> None:
    if value:
        print(f"runar {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Run any training script and record everything; look at the runs afterwards or live."""


# show, logs, diff and replay: the typer signatures (options, help) live here, the work in
# typer-free functions that cli/fast.py also calls without loading typer


def show_command(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Everything about a run: command, git, environment, config, steps, metrics, artifacts."""
    from runar.cli.show import show_run

    show_run(ref, as_json)


def logs_command(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing while the run goes on.")
    ] = False,
    stream: Annotated[
        output.StreamChoice, typer.Option("--stream", help="Print only this stream.")
    ] = output.StreamChoice.both,
) -> None:
    """Print a run's captured stdout and stderr, each to the stream it was written to."""
    output.logs_run(ref, follow, stream)


def diff_command(
    ref_a: Annotated[str, typer.Argument(metavar="A", help="First run: id, prefix or name.")],
    ref_b: Annotated[str, typer.Argument(metavar="B", help="Second run: id, prefix or name.")],
    code: Annotated[
        bool, typer.Option("--code/--no-code", help="Show the git diff of the runs' code.")
    ] = True,
    stat: Annotated[bool, typer.Option("--stat", help="Summarize the code diff per file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """Compare two runs: arguments, config, metric deltas, git and code, environment, packages."""
    from runar.cli.compare import diff_runs

    diff_runs(ref_a, ref_b, code, stat, as_json)


def replay_command(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    speed: Annotated[
        float,
        typer.Option(
            "--speed", help="N times the original pace (pauses capped at 5 s); 0 = instant.", min=0
        ),
    ] = 0.0,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep going while the run goes on.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Emit the raw events as JSON lines.")
    ] = False,
) -> None:
    """Play a run's story back from its raw events: lifecycle, steps, metrics, output, artifacts."""
    output.replay_run(ref, speed, follow, as_json)


def _command(name: str, target: str | Callable[..., None]) -> Callable[[typer.Typer], None]:
    """Registers one command; ``target`` is a function or "module:function" of runar.cli."""

    def register(app: typer.Typer) -> None:
        function = target
        if isinstance(function, str):
            module, _, attribute = function.partition(":")
            function = getattr(importlib.import_module(f"runar.cli.{module}"), attribute)
        app.command(name)(function)

    return register


def _module(module: str, attribute: str = "register") -> Callable[[typer.Typer], None]:
    """A module's own register(app), which adds several commands or a group."""

    def register(app: typer.Typer) -> None:
        getattr(importlib.import_module(f"runar.cli.{module}"), attribute)(app)

    return register


def _group(name: str, module: str) -> Callable[[typer.Typer], None]:
    """A sub-app (`runar import ...`), the module's ``app``."""

    def register(app: typer.Typer) -> None:
        app.add_typer(importlib.import_module(f"runar.cli.{module}").app, name=name)

    return register


# in help order; a registrar that adds several commands is listed under each of its names
REGISTRARS: Final[tuple[tuple[tuple[str, ...], Callable[[typer.Typer], None]], ...]] = (
    (("ls",), _command("ls", "runs:list_runs")),
    (("projects",), _command("projects", "runs:projects")),
    (("show",), _command("show", show_command)),
    (("logs",), _command("logs", logs_command)),
    (("diff",), _command("diff", diff_command)),
    (("rm",), _command("rm", "runs:remove")),
    (("clean",), _command("clean", "runs:clean")),
    (("replay",), _command("replay", replay_command)),
    (("export",), _command("export", "export:export")),
    (("reindex",), _command("reindex", "maintenance:reindex")),
    (("serve",), _command("serve", "serve:serve")),
    (("checkout",), _command("checkout", "reproduce:checkout")),
    (("rerun",), _command("rerun", "reproduce:rerun")),
    (("sync", "doctor"), _module("share")),
    (("remote", "push", "pull"), _module("remote")),
    (("tag", "rename", "note", "set"), _module("edits")),
    (("sweep",), _module("sweep")),
    (("import",), _group("import", "importing")),
    (("report",), _group("report", "report")),
    (("token",), _group("token", "token")),
)


def build_app(only: str | None = None) -> typer.Typer:
    """The runar command group: every command, or only ``only`` (and what registers with it)."""
    app = typer.Typer(
        cls=RunarGroup,
        name="runar",
        help="Run any training script and record everything; look at the runs afterwards or live.",
        add_completion=False,
        no_args_is_help=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    chosen = [r for names, r in REGISTRARS if only is None or only in names]
    for register in chosen or [r for _, r in REGISTRARS]:  # an unknown name: all, for typer's hint
        register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    """``app``: every command, built once on first use."""
    if name == "app":
        app = globals()["app"] = build_app()
        return app
    raise AttributeError(f"module 'runar.cli.commands' has no attribute '{name}'")
