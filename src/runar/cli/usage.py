"""Typer's usage errors (an unknown option, a value not among the choices) as runar's one line.

Typer prints a usage line, a hint and a boxed panel for these; runar says what was wrong,
naming the command, and where its help is, in the single red line every RunarError gets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Final

from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ParseError

NOISE: Final = ("Value error, ",)  # typer's validation prefix, which says nothing to a user
USAGE_EXIT: Final = 2  # as click, argparse and the runner's own options exit


def one_line(error: ParseError) -> str:
    """``runar report table: invalid value for '--format' …; see 'runar report table --help'``."""
    text = " ".join(error.format_message().split())
    for noise in NOISE:
        text = text.replace(noise, "")
    text = text[:1].lower() + text[1:]
    if error.ctx is None:
        return f"{text.rstrip('.')}; see 'runar --help'"
    path = error.ctx.command_path
    text = text.rstrip(".")
    joint = " " if text.endswith("?") else "; "  # "Did you mean 'table'?" needs no semicolon
    return f"{path}: {text}{joint}see '{path} --help'"


@contextlib.contextmanager
def said_in_one_line() -> Iterator[None]:
    """A typer usage error raised inside is runar's red line and exit code 2, the usual code
    of a command-line mistake (help for a bare group stays help)."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except ParseError as exc:
        from runar.cli import print_error

        print_error(one_line(exc))
        raise SystemExit(USAGE_EXIT) from None
