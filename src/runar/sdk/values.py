"""Turn what a training script hands to runar into what the log can hold.

Metrics must be numbers: the fast path accepts exact ``float``/``int``, then
``bool``, then anything with ``.item()`` (numpy and torch scalars, 0-d arrays) or
``__float__``. Config is forgiving instead: what JSON cannot hold is kept as its
``repr`` and reported once, so a hyper-parameter never stops a run.
"""

from __future__ import annotations

import math
import sys

TYPE_CHECKING = False  # typing costs ~20 ms to import; `import runar` must stay light
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Final

CONFIG_MAX_DEPTH: Final = 32  # deeper than any real config; stops cycles
_JSON_SCALARS: Final = (str, bool, int, type(None))
_NUMBER_TYPES: Final = (float, int)  # exact types: bool and subclasses take the slow path


def _describe(value: object) -> str:
    shape = getattr(value, "shape", None)
    kind = type(value).__name__
    if shape is not None and shape != ():
        return f"{kind} of shape {tuple(shape)}"
    text = repr(value)
    return f"{kind} {text[:40] + '…' if len(text) > 40 else text}"


def metric_value(key: object, value: object) -> float:
    """One metric value as a float, or a TypeError that names the key."""
    if type(key) is not str or not key:
        raise TypeError(f"metric names must be non-empty strings, got {key!r}")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (float, int)):
        return float(value)
    item = getattr(value, "item", None)
    if item is not None:
        try:
            value = item()
        except (ValueError, RuntimeError, TypeError):
            raise TypeError(
                f"metric '{key}' must be a single number, got {_describe(value)}; "
                "log one value per key (e.g. x.mean())"
            ) from None
        if isinstance(value, (float, int)):
            return float(value)
    if hasattr(type(value), "__float__"):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"metric '{key}' must be a number (int, float, bool, numpy/torch scalar), "
        f"got {_describe(value)}"
    )


def metric_values(values: Mapping[str, object]) -> dict[str, float]:
    """A fresh ``{name: float}`` copy; exact floats and ints with str keys take the fast path."""
    try:
        out = dict(values)
    except (TypeError, ValueError):
        raise TypeError(
            f"runar.log() takes a dict of metrics, got {type(values).__name__}; "
            "e.g. log({'loss': 0.5})"
        ) from None
    for key, value in out.items():
        if type(value) not in _NUMBER_TYPES or type(key) is not str:
            return {k: metric_value(k, v) for k, v in out.items()}
    if "" in out:
        metric_value("", 0.0)  # raises, naming the empty key
    return out  # ints stay exact here; the codec writes them as numbers


def step_index(step: object) -> int:
    """A step index as an int (numpy ints accepted), or a TypeError."""
    if type(step) is int:
        return step  # type: ignore[return-value]
    index = getattr(step, "__index__", None)
    if index is None or isinstance(step, bool):
        raise TypeError(f"step must be an integer, got {_describe(step)}")
    return int(index())


def config_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A JSON-safe copy of a (nested) config and the dotted keys kept as ``repr``."""
    if not hasattr(values, "items"):
        raise TypeError(
            f"config takes a dict, got {type(values).__name__}; e.g. config({{'lr': 1e-3}})"
        )
    replaced: list[str] = []
    return _clean_mapping(values, "", replaced, 0), replaced


def _clean_mapping(values: Mapping[Any, Any], prefix: str, replaced: list[str], depth: int) -> dict:
    return {
        str(key): _clean(value, f"{prefix}{key}", replaced, depth + 1)
        for key, value in values.items()
    }


def _clean(value: object, key: str, replaced: list[str], depth: int) -> Any:
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, float):
        # msgspec writes NaN/inf as null; the text keeps the value faithful
        return float(value) if math.isfinite(value) else repr(float(value))
    if depth > CONFIG_MAX_DEPTH:
        replaced.append(key)
        return repr(value)
    if isinstance(value, dict):
        return _clean_mapping(value, key + ".", replaced, depth)
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{key}[{i}]", replaced, depth + 1) for i, v in enumerate(value)]
    if hasattr(value, "__fspath__"):
        return str(value)
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0:
        try:
            return _clean(item(), key, replaced, depth + 1)
        except (ValueError, RuntimeError, TypeError):
            pass
    enum = sys.modules.get("enum")  # an Enum can only exist once its module is loaded
    if enum is not None and isinstance(value, enum.Enum):
        return _clean(value.value, key, replaced, depth + 1)
    replaced.append(key)
    return repr(value)


def tag_names(tags: Iterable[object]) -> list[str]:
    """Tags as stripped, non-empty strings, or an InvalidName naming the culprit."""
    from runar.errors import InvalidName

    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidName(f"tag {tag!r} is not a non-empty string; e.g. tag('baseline')")
        if any(c in tag for c in "\x00\n\r\t"):
            raise InvalidName(f"tag {tag!r} contains a control character; use plain text")
        names.append(tag.strip())
    return names
