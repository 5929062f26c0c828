"""Metric and config values: what is accepted, and how refusals name the culprit."""

from __future__ import annotations

import math
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from runar.errors import InvalidName
from runar.sdk.values import config_values, metric_values, step_index, tag_names


def test_exact_numbers_pass_through() -> None:
    assert metric_values({"loss": 0.5, "epoch": 3}) == {"loss": 0.5, "epoch": 3}


def test_metric_values_copies_the_dict() -> None:
    values = {"loss": 0.5}
    clean = metric_values(values)
    values["loss"] = 9.0
    assert clean == {"loss": 0.5}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (np.float32(0.25), 0.25),
        (np.int64(7), 7.0),
        (np.array(1.5), 1.5),
        (Decimal("0.5"), 0.5),
        (Fraction(1, 4), 0.25),
    ],
)
def test_scalar_like_values_become_floats(value: object, expected: float) -> None:
    assert metric_values({"m": value}) == {"m": expected}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_kept(value: float) -> None:
    out = metric_values({"m": value})["m"]
    assert (math.isnan(out) and math.isnan(value)) or out == value


@pytest.mark.parametrize("value", ["0.5", None, [1.0], {"a": 1}, np.array([1.0, 2.0])])
def test_non_numbers_raise_type_error_naming_the_key(value: object) -> None:
    with pytest.raises(TypeError, match="'accuracy'"):
        metric_values({"loss": 0.1, "accuracy": value})


def test_array_error_shows_the_shape() -> None:
    with pytest.raises(TypeError, match=r"shape \(2,\)"):
        metric_values({"w": np.zeros(2)})


@pytest.mark.parametrize("key", ["", 3, None])
def test_bad_metric_names_are_refused(key: object) -> None:
    with pytest.raises(TypeError, match="metric names"):
        metric_values({key: 1.0})  # type: ignore[dict-item]


def test_a_non_dict_is_refused() -> None:
    with pytest.raises(TypeError, match=r"takes a dict"):
        metric_values(0.5)  # type: ignore[arg-type]


def test_step_accepts_numpy_integers_and_refuses_floats() -> None:
    assert step_index(np.int32(4)) == 4
    with pytest.raises(TypeError, match="step must be an integer"):
        step_index(1.5)


class Color(Enum):
    RED = "red"


def test_config_keeps_json_and_converts_common_types() -> None:
    clean, replaced = config_values(
        {
            "lr": np.float64(1e-3),
            "model": {"layers": 3, "act": Color.RED},
            "dims": (64, 32),
            "out": Path("/tmp/out"),
            "bad": math.nan,
        }
    )
    assert clean == {
        "lr": 1e-3,
        "model": {"layers": 3, "act": "red"},
        "dims": [64, 32],
        "out": "/tmp/out",
        "bad": "nan",
    }
    assert replaced == []


def test_config_records_repr_of_what_json_cannot_hold() -> None:
    marker = object()
    clean, replaced = config_values({"opt": {"fn": marker}})
    assert clean == {"opt": {"fn": repr(marker)}}
    assert replaced == ["opt.fn"]


def test_config_survives_a_cycle() -> None:
    loop: dict[str, object] = {}
    loop["self"] = loop
    _, replaced = config_values(loop)
    assert replaced and replaced[0].startswith("self.self")


@pytest.mark.parametrize("tag", ["", "  ", 3, "a\nb"])
def test_bad_tags_are_refused(tag: object) -> None:
    with pytest.raises(InvalidName):
        tag_names([tag])
