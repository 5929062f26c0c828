"""sdk/watch.py: a mistaken watch() or alert() is a clear error naming the key, raised at once."""

from __future__ import annotations

import pytest

import runar


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda: runar.watch("loss", rules="spike"), TypeError, "rules=['spike']"),  # was 's'
        (lambda: runar.watch("loss", mode="best"), ValueError, "'min' or 'max'"),
        (lambda: runar.watch("loss", rules=["nan"]), ValueError, "unknown rule 'nan'"),
        (lambda: runar.alert("t", "x", level="fatal"), ValueError, "not 'fatal'"),
    ],
)
def test_a_mistake_names_the_key_and_the_fix(store, call, error, says) -> None:
    with pytest.raises(error) as caught:
        call()
    assert says in str(caught.value)
