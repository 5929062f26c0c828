"""A run's command-line arguments as config: a projection of ``RunStarted.argv``; no I/O.

Without the script's parser we read the arguments the way argparse-style and
nanoGPT-style command lines are written:

    --lr 0.001  --lr=0.001  -lr 0.1  -n 12     → key and value (``lr``, ``n``)
    --batch-size 32                            → ``batch_size`` (argparse's dest spelling)
    --flag  /  --no-flag                       → True  /  ``flag`` False (when no value follows)
    --layers 1 2 3   or  --tag a --tag b       → a list (values of one kind: numbers or words)
    --shift -1                                 → a negative number is a value, not an option
    data.txt  (and everything after ``--``)    → ``positional``

Values become int, float, bool (``true``/``false``/``True``/``False``), None (``None``)
or stay strings (a redacted ``***`` among them). An option takes the values after it
while they are of the kind of its first one, so ``--epochs 3 data.csv`` keeps
``data.csv`` positional; but a flag directly followed by a word takes it as its value
(``--verbose data.txt`` reads as ``verbose='data.txt'``): the price of not knowing the
script's parser.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec

INT: Final = re.compile(r"[+-]?\d+")
FLOAT: Final = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?|[+-]?inf")
BOOLS: Final = {"true": True, "True": True, "false": False, "False": False}
PYTHON: Final = re.compile(r"python[\d.]*(\.exe)?")
# interpreter options that take the next token as their value
PYTHON_VALUE_OPTIONS: Final = frozenset({"-W", "-X", "-Q"})
# launchers whose own options come before the script they start
LAUNCHERS: Final = frozenset({"torchrun", "accelerate", "deepspeed", "uv", "poetry", "pipenv"})


class ScriptArgs(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The script's arguments: as typed, and read as config keys plus positional values."""

    args: list[str] = []
    config: dict[str, Any] = {}
    positional: list[str] = []


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def script_arguments(argv: list[str]) -> list[str]:
    """The script's own arguments from a recorded argv (argv[0] is the script or program).

    For a command such as ``python -u train.py --lr 1`` or ``torchrun --nproc_per_node 2
    train.py --lr 1`` (``runar -- ...``), the interpreter's or launcher's part is skipped.
    """
    if not argv:
        return []
    program = _basename(argv[0])
    if PYTHON.fullmatch(program):
        i = 1
        while i < len(argv):
            token = argv[i]
            if token in ("-m", "-c"):
                return argv[i + 2 :]
            if token == "-" or not token.startswith("-"):
                return argv[i + 1 :]
            i += 2 if token in PYTHON_VALUE_OPTIONS else 1
        return []
    if program in LAUNCHERS:
        for i, token in enumerate(argv[1:], start=1):
            if token.endswith(".py") and not token.startswith("-"):
                return argv[i + 1 :]
    return argv[1:]


def typed(text: str) -> Any:
    """A command-line value as int, float, bool or None when it reads as one, else the text."""
    if INT.fullmatch(text):
        number = int(text)
        # the index stores 64-bit integers (msgpack); a longer one keeps its digits as text
        return number if -(2**63) <= number < 2**64 else text
    if FLOAT.fullmatch(text):
        return float(text)
    if text in BOOLS:
        return BOOLS[text]
    if text == "None":
        return None
    return text


def _is_option(token: str) -> bool:
    return len(token) > 1 and token.startswith("-") and not FLOAT.fullmatch(token)


def _kind(value: Any) -> type:
    return float if isinstance(value, int | float) and not isinstance(value, bool) else type(value)


def _key(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def parse_args(args: list[str]) -> ScriptArgs:
    """Read a script's arguments as config keys and positional values."""
    found: dict[str, list[Any]] = {}  # every value given per key, in order
    listed: set[str] = set()  # keys given more than once or with several values
    positional: list[str] = []

    def put(key: str, values: list[Any]) -> None:
        if key in found or len(values) > 1:
            listed.add(key)
        found.setdefault(key, []).extend(values)

    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            positional.extend(args[i:])
            break
        if not _is_option(token):
            positional.append(token)
            continue
        name, eq, inline = token.partition("=")
        if eq:
            put(_key(name), [typed(inline)])
            continue
        values: list[Any] = []
        while i < len(args) and args[i] != "--" and not _is_option(args[i]):
            value = typed(args[i])
            if values and _kind(value) != _kind(values[0]):
                break  # `--epochs 3 data.csv`: a word after a number is positional
            values.append(value)
            i += 1
        if values:
            put(_key(name), values)
        elif name.startswith("--no-") and len(name) > len("--no-"):
            put(_key(name[len("--no-") :]), [False])
        else:
            put(_key(name), [True])
    config = {k: v if k in listed else v[0] for k, v in found.items()}
    return ScriptArgs(args=list(args), config=config, positional=positional)


def from_argv(argv: list[str]) -> ScriptArgs:
    """A recorded ``RunStarted.argv`` read as the script's arguments."""
    return parse_args(script_arguments(argv))
