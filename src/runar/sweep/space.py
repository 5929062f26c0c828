"""A sweep's search space: what one command-line value says, and the points it expands to.

A value on `runar sweep`'s command line (or in a sweep file's ``space``) is one of:

    1e-3,3e-4,1e-4        a list: each value, as written
    0..4                  an inclusive int range: 0 1 2 3 4
    1e-4:1e-2:log:5       5 log-spaced values from 1e-4 to 1e-2 (``lin`` for linear)
    choice(a,b,c)         a list; with --random, one of them at random
    int(1,8)              ints 1..8; with --random, one uniformly
    uniform(0,1)          with --random only: a float drawn uniformly
    loguniform(1e-5,1e-2) with --random only: a float drawn log-uniformly
    anything else         passed through unchanged (not swept)

Values stay the text the script receives; generated numbers are written with 6
significant digits. No I/O here.
"""

from __future__ import annotations

import difflib
import math
import random
import re
from dataclasses import dataclass
from typing import Final, Literal

from runar.errors import UsageError

Method = Literal["grid", "random"]
DIGITS: Final = 6  # significant digits of a generated value: 3.16228e-05
MAX_POINTS: Final = 100_000  # a grid larger than this is a typo, not a plan
INT_RANGE: Final = re.compile(r"([+-]?\d+)\.\.([+-]?\d+)")
SPACED: Final = re.compile(r"([^:]+):([^:]+):(log|lin):(\d+)")
ALMOST_SPACED: Final = re.compile(r"[-+.\deE]+:[-+.\deE]+:[A-Za-z]+:\d+")
FUNCTIONS: Final = ("choice", "int", "uniform", "loguniform")
FUNCTION: Final = re.compile(r"(choice|int|uniform|loguniform)\((.*)\)", re.DOTALL)
CALL: Final = re.compile(r"([A-Za-z_]\w*)\(")  # the start of a spec-like call: name(
NUMBER: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Dimension:
    """One swept option: its grid values, or how to draw one at random."""

    key: str  # the option as written, e.g. --lr
    spec: str  # the value as written, e.g. 1e-4:1e-2:log:5
    values: tuple[str, ...] = ()  # the grid; empty for a continuous distribution
    draw: Literal["uniform", "loguniform", "int", "choice"] = "choice"
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: random.Random) -> str:
        """One value drawn at random (a grid dimension picks one of its values)."""
        if self.draw == "uniform":
            return format_number(rng.uniform(self.low, self.high))
        if self.draw == "loguniform":
            return format_number(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        if self.draw == "int":
            return str(rng.randint(int(self.low), int(self.high)))
        return rng.choice(self.values)


def format_number(value: float) -> str:
    """A generated number as the script will read it: ``0.001``, ``3.16228e-05``, ``2``."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{DIGITS}g}"


def _number(text: str, key: str, spec: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise UsageError(f"option {key}: {text.strip()!r} in {spec!r} is not a number") from None


def _integer(text: str, key: str, spec: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise UsageError(f"option {key}: {text.strip()!r} in {spec!r} is not an integer") from None


def _spaced(key: str, spec: str, match: re.Match[str]) -> tuple[str, ...]:
    low, high = _number(match[1], key, spec), _number(match[2], key, spec)
    count = int(match[4])
    if count < 1:
        raise UsageError(f"option {key}: {spec!r} asks for no values; the count must be 1 or more")
    if match[3] == "log":
        if low <= 0 or high <= 0:
            raise UsageError(f"option {key}: log spacing needs positive bounds, not {spec!r}")
        low, high = math.log10(low), math.log10(high)
    steps = [low + (high - low) * i / (count - 1) for i in range(count)] if count > 1 else [low]
    if match[3] == "log":
        steps = [10**s for s in steps]
    return tuple(format_number(v) for v in steps)


def _function(key: str, spec: str, name: str, body: str, method: Method) -> Dimension:
    parts = [p.strip() for p in body.split(",")]
    if name == "choice":
        if not any(parts):
            raise UsageError(f"option {key}: {spec!r} lists no values, e.g. choice(a,b)")
        return Dimension(key, spec, tuple(parts))
    if len(parts) != 2:
        raise UsageError(f"option {key}: {name}() takes two bounds, e.g. {name}(1,8), not {spec!r}")
    if name == "int":
        low, high = _integer(parts[0], key, spec), _integer(parts[1], key, spec)
        if low > high:
            raise UsageError(f"option {key}: {spec!r} is empty; the low bound comes first")
        values = tuple(str(v) for v in range(low, high + 1))
        return Dimension(key, spec, values, "int", low, high)
    low, high = _number(parts[0], key, spec), _number(parts[1], key, spec)
    if low > high:
        raise UsageError(f"option {key}: {spec!r} is empty; the low bound comes first")
    if name == "loguniform" and low <= 0:
        raise UsageError(f"option {key}: loguniform needs positive bounds, not {spec!r}")
    if method == "grid":
        raise UsageError(
            f"option {key}: {name}() is a distribution; sample it with --random N, "
            f"or give values (a,b,c) or a spacing (a:b:lin:5)"
        )
    return Dimension(key, spec, (), "uniform" if name == "uniform" else "loguniform", low, high)


def parse_value(key: str, spec: str, method: Method = "grid") -> Dimension | None:
    """The dimension a value describes, or None for a plain value that passes through."""
    text = spec.strip()
    function = FUNCTION.fullmatch(text)
    if function is not None:
        return _function(key, spec, function[1], function[2], method)
    int_range = INT_RANGE.fullmatch(text)
    if int_range is not None:
        low, high = int(int_range[1]), int(int_range[2])
        if low > high:
            raise UsageError(f"option {key}: range {spec!r} is empty; write the low end first")
        return Dimension(key, spec, tuple(str(v) for v in range(low, high + 1)), "int", low, high)
    spaced = SPACED.fullmatch(text)
    if spaced is not None:
        return Dimension(key, spec, _spaced(key, spec, spaced))
    if ALMOST_SPACED.fullmatch(text):  # a:b:KIND:N with a kind we don't know, not a value
        raise UsageError(
            f"option {key}: {spec!r} spaces values by log or lin, e.g. 1e-4:1e-2:log:5"
        )
    _refuse_near_misses(key, spec, text)
    if "," in text:
        values = tuple(v.strip() for v in text.split(","))
        if not all(values):
            raise UsageError(f"option {key}: {spec!r} has an empty value between commas")
        return Dimension(key, spec, values)
    return None


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in ("()", "[]", "{}"))


def _refuse_near_misses(key: str, spec: str, text: str) -> None:
    """A value that was meant as a spec but is not one is an error, not a plain value.

    ``uniform(0,1`` or ``chioce(1,2)`` would otherwise be split at its commas into broken
    values, and ``0..x`` or ``0.1..0.5`` would pass through unswept.
    """
    call = CALL.match(text)
    if call is not None and (call[1] in FUNCTIONS or "," in text):
        if call[1] in FUNCTIONS:
            raise UsageError(f"option {key}: {spec!r} misses its closing ')'")
        close = difflib.get_close_matches(call[1], FUNCTIONS, n=1)
        hint = f"did you mean {close[0]}(…)? " if close else ""
        raise UsageError(
            f"option {key}: {spec!r} is no spec runar knows; {hint}"
            "the specs are choice(…), int(…), uniform(…), loguniform(…)"
        )
    if "," in text and not all(_balanced(v) for v in text.split(",")):
        raise UsageError(
            f"option {key}: {spec!r} has a comma inside brackets, so its values cannot be "
            "told apart; write each value without a comma (64x64,128x128), or, to pass it "
            "unswept, put it under [fixed] in a sweep file (-f)"
        )
    if ".." in text and "/" not in text:
        low, _, high = text.partition("..")
        if NUMBER.fullmatch(low) or NUMBER.fullmatch(high):
            raise UsageError(
                f"option {key}: {spec!r} is no range; ranges are of ints (0..4), "
                "floats are spaced (0.1:0.5:lin:5)"
            )


def grid(dimensions: list[Dimension]) -> list[dict[str, str]]:
    """Every combination, the first dimension varying slowest."""
    total = math.prod(len(d.values) for d in dimensions)
    if total > MAX_POINTS:
        raise UsageError(
            f"this grid has {total} points (more than {MAX_POINTS}); "
            "narrow it or sample it with --random N"
        )
    points: list[dict[str, str]] = [{}]
    for dim in dimensions:
        points = [{**p, dim.key: v} for p in points for v in dim.values]
    return points


def sample(dimensions: list[Dimension], count: int, seed: int | None) -> list[dict[str, str]]:
    """``count`` points drawn at random; the same seed draws the same points."""
    if count < 1:
        raise UsageError(f"--random needs a count of 1 or more, not {count}")
    rng = random.Random(seed)
    return [{d.key: d.sample(rng) for d in dimensions} for _ in range(count)]
