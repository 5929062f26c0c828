"""Record gives the runner's plain-data classes a dataclass's == and repr."""

from __future__ import annotations

import pytest

from runar.records import Record


class Point(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: list[int] | None = None) -> None:
        self.x, self.y = x, y if y is not None else []


class Other(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int) -> None:
        self.x, self.y = x, []


def test_records_are_equal_by_value() -> None:
    assert Point(1, [2]) == Point(1, [2])
    assert Point(1) != Point(2)


def test_records_of_different_classes_differ_even_with_equal_fields() -> None:
    assert Point(1) != Other(1)


def test_repr_names_every_field() -> None:
    assert repr(Point(1, [2])) == "Point(x=1, y=[2])"


def test_records_are_mutable_and_not_hashable_like_a_dataclass() -> None:
    point = Point(1)
    point.x = 3
    assert point.x == 3
    with pytest.raises(TypeError):
        hash(point)
    with pytest.raises(AttributeError):
        point.z = 1  # type: ignore[attr-defined]  # __slots__: a typo is an error
