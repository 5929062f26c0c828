"""ids.py: run id shape and uniqueness, and resolving what a user typed."""

from __future__ import annotations

import pytest

from runar import ids
from runar.errors import AmbiguousRun, RunNotFound


def test_run_ids_are_unique_and_well_shaped() -> None:
    many = {ids.new_run_id() for _ in range(20_000)}
    assert len(many) == 20_000
    assert all(ids.is_run_id(i) for i in many)
    assert ids.RUN_ID_CHARS * 5 >= 60  # bits of randomness


def test_abbreviation_is_a_prefix() -> None:
    run_id = ids.new_run_id()
    assert run_id.startswith(ids.short(run_id)) and len(ids.short(run_id)) < len(run_id)


def test_writer_ids_name_their_role_and_differ() -> None:
    a, b = ids.new_writer_id("Rank 3!"), ids.new_writer_id("rank3")
    assert a.startswith("rank3-") and a != b


@pytest.mark.parametrize("text", ["", "0123456789abcde", "0123456789abcdeu", "0123456789ABCDEF"])
def test_strays_are_not_run_ids(text: str) -> None:
    assert not ids.is_run_id(text)


RUNS = ["aaaa000000000000", "aaab000000000000", "bbbb000000000000"]


def test_exact_id_and_unique_prefix_resolve() -> None:
    assert ids.resolve("bbbb000000000000", RUNS, {}) == "bbbb000000000000"
    assert ids.resolve("aaab", RUNS, {}) == "aaab000000000000"
    assert ids.resolve(" BBB ", RUNS, {}) == "bbbb000000000000"


def test_name_resolves() -> None:
    assert ids.resolve("bert", RUNS, {"bert": ["aaaa000000000000"]}) == "aaaa000000000000"


def test_ambiguous_prefix_lists_candidates() -> None:
    with pytest.raises(AmbiguousRun) as err:
        ids.resolve("aaa", RUNS, {})
    assert err.value.candidates == ["aaaa0000", "aaab0000"]
    assert "aaaa0000" in str(err.value) and "aaab0000" in str(err.value)


def test_name_shared_by_two_runs_is_ambiguous() -> None:
    with pytest.raises(AmbiguousRun, match="2 runs"):
        ids.resolve("bert", RUNS, {"bert": ["aaaa000000000000", "bbbb000000000000"]})


def test_name_that_is_also_a_prefix_of_another_run_is_ambiguous() -> None:
    with pytest.raises(AmbiguousRun):
        ids.resolve("bbbb", RUNS, {"bbbb": ["aaaa000000000000"]})


@pytest.mark.parametrize("ref", ["zzz", "", "   "])
def test_no_match_names_the_fix(ref: str) -> None:
    with pytest.raises(RunNotFound, match="runar ls"):
        ids.resolve(ref, RUNS, {})
