"""wandb.log's step and commit rules, row by row."""

from __future__ import annotations

import pytest

from runar.compat.wandb.history import History, flatten


@pytest.fixture
def rows() -> list[tuple[int, dict[str, object]]]:
    return []


@pytest.fixture
def history(rows: list[tuple[int, dict[str, object]]]) -> History:
    return History(lambda step, row: rows.append((step, row)))


def test_each_log_is_a_row_at_the_next_step(history: History, rows: list) -> None:
    history.log({"loss": 1.0}, None, None)
    history.log({"loss": 0.5}, None, None)
    assert rows == [(0, {"loss": 1.0}), (1, {"loss": 0.5})]
    assert history.step == 2


def test_commit_false_accumulates_until_the_next_commit(history: History, rows: list) -> None:
    history.log({"a": 1}, None, False)
    history.log({"b": 2}, None, False)
    assert rows == []
    history.log({"c": 3}, None, None)
    assert rows == [(0, {"a": 1, "b": 2, "c": 3})]


def test_an_explicit_step_waits_for_a_larger_step(history: History, rows: list) -> None:
    history.log({"loss": 1.0}, 10, None)
    history.log({"acc": 0.5}, 10, None)
    assert rows == []
    history.log({"loss": 0.9}, 20, None)
    assert rows == [(10, {"loss": 1.0, "acc": 0.5})]
    history.flush()
    assert rows[-1] == (20, {"loss": 0.9})


def test_explicit_step_with_commit_true_writes_at_once(history: History, rows: list) -> None:
    history.log({"loss": 1.0}, 5, True)
    assert rows == [(5, {"loss": 1.0})] and history.step == 6


def test_a_step_in_the_past_is_dropped_with_one_warning(
    history: History, rows: list, capsys: pytest.CaptureFixture[str]
) -> None:
    history.log({"x": 1}, 10, True)
    history.log({"x": 2}, 3, None)
    history.log({"x": 3}, 4, None)
    history.flush()
    assert rows == [(10, {"x": 1})]
    assert capsys.readouterr().err.count("before the current step") == 1


def test_nested_dicts_are_flattened_with_slashes() -> None:
    nested = {"train": {"loss": 1, "opt": {"lr": 0.1}}, "epoch": 2}
    assert flatten(nested) == {"train/loss": 1, "train/opt/lr": 0.1, "epoch": 2}


def test_a_non_dict_is_refused_as_wandb_refuses_it(history: History) -> None:
    with pytest.raises(TypeError, match="takes a dict"):
        history.log([1, 2], None, None)  # type: ignore[arg-type]
