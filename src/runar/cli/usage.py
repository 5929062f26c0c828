"""Typer's usage errors (an unknown option, a value not among the choices) as runar's one line.

Typer prints a usage line, a hint and a boxed panel for these; runar says what was wrong,
naming the command, and where its help is, in the single red line every RunarError gets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ParseError

from runar.errors import UsageError

NOISE = ("Value error, ",)  # typer's validation prefix, which says nothing to a user


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
    """Turn a typer usage error raised inside into runar's UsageError (help stays help)."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except ParseError as exc:
        raise UsageError(one_line(exc)) from None
