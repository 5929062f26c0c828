"""What `runar rerun` runs: the recorded command, rebased into the run's checkout.

The runner recorded ``argv`` (what the user typed after runar's options) and ``command``
(what it executed): ``[python, script, *args]`` for a script, ``[python, -m, module,
*args]`` for a module, and the command itself after ``--``. The first two run again with
the current interpreter (or the recorded environment's); a command runs as recorded, with
a recorded environment first on its PATH. ``--set key=value`` rewrites an
option's value or appends the option. A value redacted in the record is never guessed:
it comes from ``--set`` or from an environment variable named like the option.

A rerun is named after the run it repeats, ``NAME-rerun-K`` (K counting on from the
family's highest), never ``NAME`` itself: a shared name would make ``runar show NAME``
ambiguous the moment a run is rerun. The lineage is ``RunStarted.rerun_of``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from runar.errors import UsageError
from runar.events import RunStarted
from runar.ids import short
from runar.redact import REDACTED
from runar.runner.checkout import CodeRecord

ENV_MODES: Final = ("current", "recorded")
RERUN_MARK: Final = "-rerun-"  # NAME-rerun-3: the third rerun in NAME's family


@dataclass(frozen=True)
class RerunPlan:
    """The command to run, where, and the overrides it carries."""

    command: list[str]
    argv: list[str]
    cwd: Path
    checkout: Path
    overrides: dict[str, str]


def parse_sets(sets: list[str]) -> dict[str, str]:
    """``["lr=3e-4"]`` → ``{"lr": "3e-4"}``; UsageError for a malformed one."""
    found: dict[str, str] = {}
    for item in sets:
        key, eq, value = item.partition("=")
        key = key.strip().lstrip("-")
        if not eq or not key:
            raise UsageError(f"--set takes key=value, as in '--set lr=3e-4', not {item!r}")
        found[key] = value
    return found


def check_env_mode(mode: str) -> None:
    """current (this interpreter) or recorded (a venv rebuilt from the recorded pins)."""
    if mode not in ENV_MODES:
        raise UsageError(f"--env takes current or recorded, not {mode!r}")


def family_name(original: str, run_id: str, rerun_of: str | None) -> str:
    """What a rerun's name starts with: the first run's name, else its short id.

    Args:
        original: the rerun run's name ("" when it has none).
        rerun_of: the run it was itself a rerun of, if it was one.
    """
    if rerun_of is not None:  # a rerun of a rerun counts on in the first run's family
        stem, mark, number = original.rpartition(RERUN_MARK)
        if mark and stem and number.isdigit():
            return stem
        if not original:  # a rerun made before reruns had names
            return short(rerun_of)
    return original or short(run_id)


def rerun_names(
    original: str,
    run_id: str,
    rerun_of: str | None,
    taken: Iterable[str],
    times: int = 1,
    chosen: str | None = None,
) -> list[str]:
    """The names of ``times`` reruns: ``-n``'s (numbered when several), else the family's next.

    Args:
        taken: names already in the store; the new ones count on from the highest K.
    """
    if chosen:
        return [chosen] if times == 1 else [f"{chosen}-{turn}" for turn in range(1, times + 1)]
    base = family_name(original, run_id, rerun_of)
    numbered = re.compile(re.escape(base + RERUN_MARK) + r"([0-9]+)")
    used = [int(found[1]) for name in taken if (found := numbered.fullmatch(name))]
    first = max(used, default=0) + 1
    return [f"{base}{RERUN_MARK}{first + turn}" for turn in range(times)]


def _spellings(key: str) -> set[str]:
    names = {f"--{key}", f"--{key.replace('_', '-')}", f"--{key.replace('-', '_')}"}
    return names | ({f"-{key}"} if len(key) == 1 else set())


def apply_overrides(args: list[str], overrides: Mapping[str, str]) -> list[str]:
    """``args`` with each ``--key V`` / ``--key=V`` rewritten, or appended in the form the
    recorded options use (``--key=V`` when every one is written so, else ``--key V``)."""
    out = list(args)
    for key, value in overrides.items():
        names = _spellings(key)
        hit = False
        for i, token in enumerate(out):
            option, eq, _ = token.partition("=")
            if eq and option in names:
                out[i], hit = f"{option}={value}", True
            elif token in names and i + 1 < len(out) and not out[i + 1].startswith("--"):
                out[i + 1], hit = value, True
        if not hit:  # a new option, written as the others are: nanoGPT only takes --k=v
            inline = [t for t in out if t.startswith("--") and "=" in t]
            spaced = [t for t in out if t.startswith("--") and "=" not in t]
            out += [f"--{key}={value}"] if inline and not spaced else [f"--{key}", value]
    return out


def _env_name(option: str) -> str:
    return option.lstrip("-").replace("-", "_").upper()


def fill_redacted(args: list[str], run_id: str, environ: Mapping[str, str]) -> list[str]:
    """Recorded ``***`` values taken from the environment; UsageError naming what is missing."""
    out = list(args)
    for i, token in enumerate(out):
        if REDACTED not in token:
            continue
        option, eq, value = token.partition("=")
        if eq and value == REDACTED and option.startswith("-"):
            name, put = option, lambda v, i=i, o=option: f"{o}={v}"
        elif token == REDACTED and i > 0 and out[i - 1].startswith("-"):
            name, put = out[i - 1], lambda v: v
        else:
            raise UsageError(
                f"run {short(run_id)} was given a secret as argument {i + 1} ({token!r}), which "
                "was redacted and cannot be passed on; rerun it as a variation with the value"
            )
        variable = _env_name(name)
        if environ.get(variable):
            out[i] = put(environ[variable])
            continue
        key = name.lstrip("-").replace("-", "_")
        raise UsageError(
            f"run {short(run_id)} needs a value for {name} (redacted when recorded): "
            f"give it with --set {key}=... or the environment variable {variable}"
        )
    return out


def _inside(path: str, origin: str, checkout: Path) -> str:
    """An absolute path under the recorded origin, moved into the checkout."""
    if not os.path.isabs(path) or not origin:
        return path
    rel = os.path.relpath(path, origin)
    return path if rel.startswith(os.pardir) else str(checkout / rel)


def plan_rerun(
    started: RunStarted,
    record: CodeRecord,
    checkout: Path,
    overrides: Mapping[str, str],
    environ: Mapping[str, str],
    python: str = sys.executable,
) -> RerunPlan:
    """The command, argv and working folder of the rerun inside ``checkout``.

    ``python`` runs a script or module: this interpreter, or a recorded environment's.
    """
    argv, command = list(started.argv), list(started.command)
    if not command:
        raise UsageError(
            f"run {short(record.run_id)} recorded no command; there is nothing to rerun"
        )
    if record.kind == "git":
        rel = os.path.relpath(started.cwd, record.origin) if started.cwd and record.origin else "."
        cwd = checkout if rel.startswith(os.pardir) else checkout / rel
    else:
        cwd = checkout  # only the script's folder was kept
    if len(command) > 1 and command[1:] == argv:  # `runar script.py ARGS`
        script = argv[0]
        if record.kind == "files":
            script = os.path.basename(script)
        argv = [_inside(script, record.origin, checkout), *apply_overrides(argv[1:], overrides)]
        argv = fill_redacted(argv, record.run_id, environ)
        if checkout.is_dir() and not (cwd / argv[0]).is_file():
            raise UsageError(
                f"run {short(record.run_id)}'s snapshot has no {argv[0]} (see 'skipped' in "
                f"{record.code_dir / 'meta.json'}); there is nothing to rerun"
            )
        command = [python, *argv]
    elif len(command) > 2 and command[1] == "-m" and command[2:] == argv:  # `runar -m module`
        argv = [
            argv[0],
            *fill_redacted(apply_overrides(argv[1:], overrides), record.run_id, environ),
        ]
        command = [python, "-m", *argv]
    else:  # `runar -- command`, or an executable script: run as recorded
        program = _inside(command[0], record.origin, checkout)
        rest = fill_redacted(apply_overrides(command[1:], overrides), record.run_id, environ)
        command = argv = [program, *rest]
    return RerunPlan(command, argv, cwd, checkout, dict(overrides))
