"""A one-line hint when a script rejects one of runar's options written after it; pure.

Everything after the script belongs to the script, so ``runar train.py --epochs 10 -n
baseline`` hands ``-n baseline`` to train.py. When the script then fails on it, the
hint says where runar's options go, with the command line rewritten.
"""

from __future__ import annotations

import re
import shlex
from typing import Final

VALUE_SPELLINGS: Final = ("-n", "--name", "-t", "--tag", "--note")
FLAG_SPELLINGS: Final = ("--no-parse",)
ARGPARSE_USAGE_EXIT: Final = 2  # argparse and click exit with 2 on an unknown option


def _spelling(token: str) -> str | None:
    """The runar option a token is written as, if any (``--name=x`` counts as ``--name``)."""
    if token in VALUE_SPELLINGS or token in FLAG_SPELLINGS:
        return token
    name, eq, _ = token.partition("=")
    return name if eq and name.startswith("--") and name in VALUE_SPELLINGS else None


def _mentions(text: str, spelling: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text) is not None


def _split(args: list[str]) -> tuple[list[str], list[str]]:
    """runar's options (with their values) taken out of the script's args, and the rest."""
    ours: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token in VALUE_SPELLINGS and i + 1 < len(args):
            ours += args[i : i + 2]
            i += 2
            continue
        if _spelling(token) is not None:
            ours.append(token)
        else:
            rest.append(token)
        i += 1
    return ours, rest


def option_hint(
    target: list[str], args: list[str], exit_code: int | None, stderr_tail: str | None
) -> str | None:
    """The hint line, or None when the script did not fail on one of runar's options.

    Args:
        target: how the script was named on runar's command line (``["train.py"]`` or
            ``["-m", "pkg.train"]``).
        args: the script's arguments as given.
        exit_code: the script's exit code (None when a signal ended it).
        stderr_tail: the end of what the script printed, when known; without it only
            argparse's usage exit code 2 counts as a rejection.
    """
    if not exit_code:
        return None
    before_dashes = args[: args.index("--")] if "--" in args else args
    found = [s for s in map(_spelling, before_dashes) if s is not None]
    if stderr_tail is not None:
        found = [s for s in found if _mentions(stderr_tail, s)]
    elif exit_code != ARGPARSE_USAGE_EXIT:
        return None
    if not found:
        return None
    ours, rest = _split(args)
    fixed = shlex.join(["runar", *ours, *target, *rest])
    return (
        f"runar: the script rejected {found[0]!r}; runar's own options go before the "
        f"script: {fixed}"
    )


def hint_for_run(
    argv: list[str], command: list[str], exit_code: int | None, stderr_tail: str | None = None
) -> str | None:
    """option_hint() for a runner run's recorded argv and command; None for `runar -- CMD`."""
    if not argv or argv == command:
        return None  # everything after '--' was plainly meant for the command
    module = len(command) > 2 and command[1] == "-m" and command[2] == argv[0]
    target = ["-m", argv[0]] if module else [argv[0]]
    return option_hint(target, argv[1:], exit_code, stderr_tail)
