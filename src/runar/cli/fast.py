"""`runar show`, `logs` and `diff` parsed without typer, so they start in well under 150 ms.

typer builds a pydantic validator for every parameter of every command before it runs
one, and imports rich's markdown renderer for help: several times the whole budget of
these commands. Their options are few and plain, so they are parsed here; anything
this parser does not know (``--help``, ``--``, a repeated option, a bad choice, a
missing argument) returns None and goes to typer, which words the help and the errors.
The typer signatures in cli/commands.py stay the reference; tests/cli/test_fast.py
checks that both paths print the same.
"""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True)
class Spec:
    """A command's arguments as typer declares them in cli/commands.py."""

    target: str  # "module:function", called with the parsed values as keywords
    positionals: tuple[str, ...]
    flags: dict[str, tuple[str, bool]] = field(default_factory=dict)  # token → (name, value)
    options: dict[str, str] = field(default_factory=dict)  # token → name; takes a value
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name → allowed values


SPECS: Final = {
    "show": Spec("runar.cli.show:show_run", ("ref",), flags={"--json": ("as_json", True)}),
    "logs": Spec(
        "runar.cli.output:logs_run",
        ("ref",),
        flags={"--follow": ("follow", True), "-f": ("follow", True)},
        options={"--stream": "stream"},
        choices={"stream": ("both", "stdout", "stderr")},
    ),
    "diff": Spec(
        "runar.cli.compare:diff_runs",
        ("ref_a", "ref_b"),
        flags={
            "--code": ("code", True),
            "--no-code": ("code", False),
            "--stat": ("stat", True),
            "--json": ("as_json", True),
        },
    ),
}


def parse(args: list[str]) -> tuple[Spec, dict[str, Any]] | None:
    """The command's spec and keyword arguments, or None to leave ``args`` to typer."""
    spec = SPECS.get(args[0]) if args else None
    if spec is None:
        return None
    values: dict[str, Any] = {}
    given: set[str] = set()
    positionals: list[str] = []
    rest = iter(args[1:])
    for token in rest:
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        key, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if key in spec.flags and not eq:
            name, value = spec.flags[key]
            values[name] = value
        elif key in spec.options and key not in given:
            value = inline if eq else next(rest, None)
            name = spec.options[key]
            if value is None or value not in spec.choices.get(name, (value,)):
                return None
            given.add(key)
            values[name] = value
        else:
            return None  # --help, --, a typo: typer's help and errors
    if len(positionals) != len(spec.positionals):
        return None
    values.update(zip(spec.positionals, positionals, strict=True))
    return spec, values


def run(args: list[str], short_lived: bool = False) -> bool:
    """Run ``args`` on the fast path; False when typer must take them.

    ``short_lived``: the process ends with the command (the console script, not a test).
    """
    parsed = parse(args)
    if parsed is None:
        return False
    spec, values = parsed
    if short_lived and not values.get("follow"):
        # a short command that holds little: the cycle collector's passes over the many
        # objects imports and the index create cost ~5 ms and would free nothing
        gc.disable()
    module, _, function = spec.target.partition(":")
    if "stream" in values:
        from runar.cli.output import StreamChoice

        values["stream"] = StreamChoice(values["stream"])
    getattr(importlib.import_module(module), function)(**values)
    return True
