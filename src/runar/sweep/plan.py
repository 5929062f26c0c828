"""A sweep's plan: the script, its arguments with the swept values marked, and the points.

The script's arguments are kept in order. An option whose value is a sweep spec
(space.py) becomes a dimension; every point is the same argument list with that
value replaced, so ``--lr=1e-3,1e-4`` gives ``--lr=1e-3`` and ``--lr=1e-4`` and
``--lr 1e-3,1e-4`` gives ``--lr 1e-3`` and ``--lr 1e-4``. No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from runar.errors import UsageError
from runar.sweep.space import Dimension, Method, grid, parse_value, sample

MODES: Final = ("min", "max")
NEGATIVE: Final = re.compile(r"-[\d.]")  # -1, -.5, -1..3: values, not options


@dataclass(frozen=True)
class Slot:
    """Where a dimension's value goes in the argument list."""

    position: int
    prefix: str  # "--lr=" for the inline form, "" when the value is its own token


@dataclass(frozen=True)
class Point:
    """One configuration of the sweep: its swept values and the script's full arguments."""

    index: int
    params: dict[str, str]
    args: list[str]


@dataclass
class Template:
    """The script's arguments with the swept values marked."""

    tokens: list[str] = field(default_factory=list)
    slots: dict[str, Slot] = field(default_factory=dict)  # option → where its value goes
    dimensions: list[Dimension] = field(default_factory=list)

    def add_dimension(self, dim: Dimension, position: int, prefix: str) -> None:
        if dim.key in self.slots:
            raise UsageError(f"option {dim.key} is swept twice; give all its values in one list")
        self.slots[dim.key] = Slot(position, prefix)
        self.dimensions.append(dim)

    def fill(self, params: dict[str, str]) -> list[str]:
        """The argument list with these values in place."""
        tokens = list(self.tokens)
        for key, value in params.items():
            slot = self.slots[key]
            tokens[slot.position] = slot.prefix + value
        return tokens


def is_option(token: str) -> bool:
    """``--lr``, ``-n``: an option; ``-1``, ``-1..3``, ``-`` and ``--``: not one."""
    return token.startswith("-") and token not in ("-", "--") and not NEGATIVE.match(token)


def template(args: list[str], method: Method, fixed: int = 0) -> Template:
    """Read the script's arguments, marking the options whose values are sweep specs.

    Args:
        fixed: how many leading arguments pass unchanged (a sweep file's args and [fixed]).
    """
    found = Template(tokens=list(args[:fixed]))
    i = fixed
    while i < len(args):
        token = args[i]
        if token.startswith("--") and "=" in token:
            key, value = token.split("=", 1)
            dim = parse_value(key, value, method)
            if dim is not None:
                found.add_dimension(dim, len(found.tokens), f"{key}=")
            found.tokens.append(token)
            i += 1
            continue
        if is_option(token) and i + 1 < len(args) and not is_option(args[i + 1]):
            dim = parse_value(token, args[i + 1], method)
            found.tokens.append(token)
            if dim is not None:
                found.add_dimension(dim, len(found.tokens), "")
            found.tokens.append(args[i + 1])
            i += 2
            continue
        found.tokens.append(token)
        i += 1
    return found


def option_name(key: str) -> str:
    """The config key an option becomes (argparse's dest): ``--batch-size`` → ``batch_size``."""
    return key.lstrip("-").replace("-", "_")


@dataclass
class SweepPlan:
    """What a sweep will run."""

    script: str
    template: Template
    method: Method = "grid"
    count: int | None = None  # --random N
    seed: int | None = None  # --seed-sweep
    metric: str | None = None
    mode: str | None = None  # min | max; None: guessed from the metric's name
    points: list[Point] = field(default_factory=list)
    module: bool = False  # `-m pkg.train`: ``script`` names a module
    command: bool = False  # `-- bash run.sh`: ``script`` is any program, run as `runar -- …`

    def space(self) -> dict[str, str]:
        """Each swept option and its spec, as written."""
        return {d.key: d.spec for d in self.template.dimensions}

    def describe(self) -> dict[str, Any]:
        """The plan as plain data: what the sweep's record keeps as its config."""
        return {
            "script": self.script,
            "module": self.module,
            "command": self.command,
            "args": list(self.template.tokens),
            "space": self.space(),
            "method": self.method,
            "count": self.count,
            "seed": self.seed,
            "metric": self.metric,
            "mode": self.mode,
            "points": len(self.points),
        }


def make_plan(
    script: str,
    args: list[str],
    method: Method = "grid",
    count: int | None = None,
    seed: int | None = None,
    metric: str | None = None,
    mode: str | None = None,
    fixed: int = 0,
) -> SweepPlan:
    """Expand the script's arguments into points; UsageError names a bad spec.

    Args:
        fixed: how many leading arguments pass unchanged, never swept.
    """
    if mode is not None and mode not in MODES:
        raise UsageError(f"--mode takes min or max, not {mode!r}")
    if method == "random" and count is None:
        raise UsageError("a random sweep needs a count: --random N (or count = N in the file)")
    found = template(args, method, fixed)
    if not found.dimensions:
        raise UsageError(
            "nothing to sweep: give an option several values, e.g. --lr 1e-3,1e-4 or --seed 0..4"
        )
    if method == "random":
        params = sample(found.dimensions, count or 0, seed)
    else:
        params = grid(found.dimensions)
    points = [Point(i, p, found.fill(p)) for i, p in enumerate(params)]
    return SweepPlan(script, found, method, count, seed, metric, mode, points)
