"""Every verbatim line of the corpus reads as expected on its own."""

from __future__ import annotations

import pytest

from runar.views.stdout_metrics import parse_line
from tests.views.output_corpus import CORPUS, Expected


def test_the_corpus_is_big_enough_to_mean_something() -> None:
    positives = [line for _, line, expected in CORPUS if expected is not None]
    assert len(CORPUS) >= 30 and len(positives) >= 15


@pytest.mark.parametrize(("source", "line", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_line(source: str, line: str, expected: Expected) -> None:
    assert parse_line(line) == expected, source
