"""space.py: what one value sweeps."""

from __future__ import annotations

import random

import pytest

from runar.errors import UsageError
from runar.sweep.space import Dimension, format_number, grid, parse_value, sample


def values(spec: str, method: str = "grid") -> tuple[str, ...]:
    dim = parse_value("--x", spec, method)  # type: ignore[arg-type]
    assert dim is not None
    return dim.values


def test_a_comma_list_keeps_each_value_as_written():
    assert values("1e-3,3e-4, 1e-4") == ("1e-3", "3e-4", "1e-4")


def test_an_int_range_includes_both_ends():
    assert values("0..4") == ("0", "1", "2", "3", "4")
    assert values("-1..1") == ("-1", "0", "1")


def test_log_spacing_gives_decades_and_their_midpoints():
    assert values("1e-4:1e-2:log:5") == ("0.0001", "0.000316228", "0.001", "0.00316228", "0.01")


def test_linear_spacing_writes_whole_numbers_without_a_point():
    assert values("0:1:lin:5") == ("0", "0.25", "0.5", "0.75", "1")
    assert values("2:8:lin:3") == ("2", "5", "8")


def test_choice_and_int_are_grids_too():
    assert values("choice(adam, sgd)") == ("adam", "sgd")
    assert values("int(1,3)") == ("1", "2", "3")


@pytest.mark.parametrize(
    "plain", ["10", "adam", "data/train.csv", "1e-3", "-1", "a:b", "../data", "relu(0.1)"]
)
def test_a_plain_value_passes_through(plain):
    assert parse_value("--x", plain) is None


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("4..0", "empty"),
        ("0:1:log:3", "positive"),
        ("x:1:lin:3", "not a number"),
        ("1e-4:1e-2:log:0", "count"),
        ("1,,2", "empty value"),
        ("uniform(0,1)", "--random"),
        ("uniform(1)", "two bounds"),
        ("loguniform(0,1)", "positive"),
        ("int(a,3)", "not an integer"),
        ("choice()", "no values"),
        ("1e-3:1e-1:bogus:3", "log or lin"),
        ("uniform(0,1", "closing ')'"),  # split at its comma, it made points 'uniform(0' and '1'
        ("chioce(1,2)", "did you mean choice"),
        ("(64,64),(128,128)", "comma inside brackets"),
        ("0..x", "no range"),  # passed through unswept: 'nothing to sweep'
        ("0.1..0.5", "lin:5"),
    ],
)
def test_a_bad_spec_is_one_line_naming_the_option(spec, says):
    with pytest.raises(UsageError) as caught:
        parse_value("--lr", spec, "grid")
    message = str(caught.value)
    assert message.startswith("option --lr") and says in message and "\n" not in message


def test_a_value_with_colons_that_is_no_spacing_passes_through():
    assert parse_value("--device", "cuda:0", "grid") is None
    assert parse_value("--url", "http://host:80/x", "grid") is None


def test_grid_is_the_cross_product_first_option_slowest():
    dims = [Dimension("--a", "1,2", ("1", "2")), Dimension("--b", "x,y,z", ("x", "y", "z"))]
    points = grid(dims)
    assert len(points) == 6
    assert points[:3] == [
        {"--a": "1", "--b": "x"},
        {"--a": "1", "--b": "y"},
        {"--a": "1", "--b": "z"},
    ]


def test_a_huge_grid_is_refused_before_it_is_built():
    dims = [Dimension(f"--k{i}", "0..9", tuple(str(v) for v in range(10))) for i in range(6)]
    with pytest.raises(UsageError, match="--random"):
        grid(dims)


def test_random_sampling_with_a_seed_repeats_and_stays_in_bounds():
    dims = [
        parse_value("--lr", "loguniform(1e-5,1e-2)", "random"),
        parse_value("--wd", "uniform(0,0.5)", "random"),
        parse_value("--layers", "int(2,6)", "random"),
        parse_value("--opt", "choice(adam,sgd)", "random"),
        parse_value("--seed", "0..2", "random"),
    ]
    first = sample(dims, 20, seed=7)  # type: ignore[arg-type]
    assert first == sample(dims, 20, seed=7)  # type: ignore[arg-type]
    assert first != sample(dims, 20, seed=8)  # type: ignore[arg-type]
    for point in first:
        assert 1e-5 <= float(point["--lr"]) <= 1e-2
        assert 0 <= float(point["--wd"]) <= 0.5
        assert 2 <= int(point["--layers"]) <= 6
        assert point["--opt"] in ("adam", "sgd")
        assert point["--seed"] in ("0", "1", "2")


def test_loguniform_spreads_over_the_decades():
    dim = parse_value("--lr", "loguniform(1e-6,1e-2)", "random")
    assert dim is not None
    rng = random.Random(0)
    drawn = [float(dim.sample(rng)) for _ in range(400)]
    below = sum(v < 1e-4 for v in drawn)  # half the decades lie below 1e-4
    assert 150 < below < 250


def test_format_number_keeps_six_significant_digits():
    assert format_number(3.0) == "3"
    assert format_number(1 / 3) == "0.333333"
    assert format_number(3.16227766e-5) == "3.16228e-05"
