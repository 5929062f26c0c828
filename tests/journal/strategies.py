"""Hypothesis strategies for realistic events: NaN, ±inf, unicode, nested config."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from runar.events import (
    AnyEvent,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    StepStarted,
    TagsChanged,
)

keys = st.text(min_size=1, max_size=12)
any_float = st.floats(allow_nan=True, allow_infinity=True)
json_scalar = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
finite = st.floats(allow_nan=False, allow_infinity=False)
config_value: st.SearchStrategy[Any] = st.recursive(
    json_scalar | finite,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)


def _event() -> st.SearchStrategy[AnyEvent]:
    return st.one_of(
        st.builds(
            MetricsLogged,
            values=st.dictionaries(keys, any_float, min_size=1, max_size=5),
            step=st.none() | st.integers(0, 2**40),
        ),
        st.builds(ConfigSet, values=st.dictionaries(keys, config_value, max_size=4)),
        st.builds(NoteAdded, text=st.text(max_size=50)),
        st.builds(TagsChanged, added=st.lists(keys, max_size=3)),
        st.builds(
            OutputCaptured,
            stream=st.sampled_from(["stdout", "stderr"]),
            text=st.text(max_size=50),
        ),
        st.builds(StepStarted, step_id=keys, name=st.text(max_size=10)),
        st.builds(
            RunFinished,
            status=st.sampled_from(["completed", "failed", "killed", "crashed"]),
            exit_code=st.none() | st.integers(-255, 255),
        ),
    )


events = _event()


def same(a: object, b: object) -> bool:
    """Equality where NaN equals NaN (msgspec Structs compare floats with ==)."""
    import msgspec

    return bool(_normalize(msgspec.to_builtins(a)) == _normalize(msgspec.to_builtins(b)))


def _normalize(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value
