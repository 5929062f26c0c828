"""JSON for the web API: msgspec, with NaN and ±inf spelled out since JSON has no literal.

In value maps (a run's last metrics, summary values, config) a non-finite float becomes
the string ``"nan"``, ``"inf"`` or ``"-inf"``; in series, ``y`` holds null at that
position and ``nonfinite`` lists ``[x, "nan"|"inf"|"-inf"]``.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

_encoder: Final = msgspec.json.Encoder()


def nonfinite_name(value: float) -> str:
    """'nan', 'inf' or '-inf' for a non-finite float."""
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def json_value(value: Any) -> Any:
    """The value with every non-finite float, however deep, as its name."""
    if isinstance(value, float):
        return value if math.isfinite(value) else nonfinite_name(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def encode(data: Any) -> bytes:
    """JSON bytes; callers have already spelled out non-finite floats."""
    return _encoder.encode(data)
