"""What every framework callback shares: which run it records into, and which values fit.

A callback records into the run already active in the script (its own ``init()`` or
``with Run(...)``), else through ``runar.init()``: under ``runar`` that is the runner's run,
under plain ``python`` a run of the script's own that ends when the interpreter exits.
Frameworks hand over mixed logs (floats, tensors, strings such as a scheduler's name);
numbers become metrics and the rest is left out, since a callback must never stop training.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from runar.sdk.run import Run


def run_for(name: str | None, tags: Iterable[str] = ()) -> Run:
    """The active run, else the one ``runar.init()`` starts or joins."""
    from runar.sdk.current import init
    from runar.sdk.run import active_run

    run = active_run()
    if run is not None:
        if tags:
            run.tag(*tags)
        return run
    return init(name, tags=tags)


def numbers(values: Mapping[str, object]) -> dict[str, float]:
    """The entries that are single numbers (numpy/torch scalars too), as floats."""
    from runar.sdk.values import metric_value

    out: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, str) or value is None or not isinstance(key, str) or not key:
            continue
        try:
            out[key] = metric_value(key, value)
        except TypeError:
            continue  # a string, a histogram, a multi-element tensor: not a metric
    return out


def plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of framework settings: what JSON cannot hold becomes its str()."""

    def default(value: object) -> object:
        item = getattr(value, "item", None)
        if item is not None and getattr(value, "ndim", None) == 0:
            return item()  # a 0-d tensor or numpy scalar
        if isinstance(value, (set, frozenset)):
            return sorted(value, key=str)
        if callable(value) and hasattr(value, "__qualname__"):
            return value.__qualname__  # a class or function: its name, not its address
        return str(value)

    # skipkeys: a tuple key cannot be a config key; everything else keeps its shape
    return json.loads(json.dumps(dict(values), default=default, skipkeys=True))
