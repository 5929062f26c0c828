"""Options from a signature: lists, optional lists, bools, Literal choices and paths."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import pytest

from runar.sdk.options import build_parser


def train(
    layers: list[int] = [64],  # noqa: B006 - the default a user would write
    scales: tuple[float, ...] = (1.0,),
    names: Optional[list[str]] = None,  # noqa: UP045 - the spelling users still write
    widths: list[int] | None = None,
    extra: list = [],  # noqa: B006
    modes: list[Literal["a", "b"]] = ["a"],  # noqa: B006
    masks: list[bool] = [],  # noqa: B006
    amp: bool = False,
    compile: bool | None = None,
    optimizer: Literal["adam", "sgd"] = "adam",
    data: Path = Path("data"),
    lr: float = 1e-3,
) -> None:
    """A training function with one parameter of each shape."""


def parse(*argv: str) -> dict[str, object]:
    return vars(build_parser(train).parse_args(list(argv)))


def test_without_options_every_default_is_kept() -> None:
    assert parse() == {
        "layers": [64],
        "scales": (1.0,),
        "names": None,
        "widths": None,
        "extra": [],
        "modes": ["a"],
        "masks": [],
        "amp": False,
        "compile": None,
        "optimizer": "adam",
        "data": Path("data"),
        "lr": 1e-3,
    }


@pytest.mark.parametrize(
    "argv",
    [
        ("--layers", "64", "128", "256"),
        ("--layers", "64,128,256"),
        ("--layers", "64", "--layers", "128,256"),
        ("--layers", "64, 128", "256"),
    ],
)
def test_a_list_option_takes_spaces_commas_and_repeats(argv: tuple[str, ...]) -> None:
    assert parse(*argv)["layers"] == [64, 128, 256]


def test_a_list_option_replaces_its_default_rather_than_extending_it() -> None:
    assert parse("--layers", "32")["layers"] == [32]
    assert parse("--modes", "b")["modes"] == ["b"]


def test_element_types_are_converted() -> None:
    args = parse("--scales", "0.5", "2", "--names", "a", "b", "--widths", "3", "--extra", "x", "1")
    assert args["scales"] == (0.5, 2.0)
    assert args["names"] == ["a", "b"]
    assert args["widths"] == [3]
    assert args["extra"] == ["x", "1"]
    assert parse("--masks", "true", "no", "1")["masks"] == [True, False, True]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--layers", "64", "x"), "invalid int value: 'x'"),
        (("--modes", "c"), "invalid choice: 'c' (choose from a, b)"),
        (("--masks", "maybe"), "invalid bool value: 'maybe'"),
        (("--layers",), "expected at least one argument"),
    ],
)
def test_a_bad_list_value_is_a_usage_error(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_bools_are_flags_even_when_optional() -> None:
    assert parse("--amp")["amp"] is True
    assert parse("--no-amp")["amp"] is False
    assert parse("--compile")["compile"] is True
    assert parse("--no-compile")["compile"] is False


def test_literal_and_path_and_float_options() -> None:
    args = parse("--optimizer", "sgd", "--data", "/mnt/set", "--lr", "3e-4")
    assert args["optimizer"] == "sgd"
    assert args["data"] == Path("/mnt/set")
    assert args["lr"] == 3e-4


def test_help_shows_list_options_as_taking_several_values() -> None:
    text = build_parser(train).format_help()
    assert "--layers INT [INT ...]" in text
    assert "--modes {a,b} [{a,b} ...]" in text
    assert "--compile, --no-compile" in text


def test_an_unannotated_list_default_makes_a_list_option() -> None:
    def fn(sizes=[1, 2]):  # noqa: B006
        pass

    assert vars(build_parser(fn).parse_args(["--sizes", "3", "4"])) == {"sizes": [3, 4]}
