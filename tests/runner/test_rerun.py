"""rerun.py: --set rewrites a recorded option in place, or adds it as the others are written."""

from __future__ import annotations

import pytest

from runar.runner.rerun import apply_overrides


@pytest.mark.parametrize(
    ("args", "sets", "expected"),
    [
        (["--lr", "0.1", "--seed", "1"], {"lr": "0.2"}, ["--lr", "0.2", "--seed", "1"]),
        (["--batch-size=8"], {"batch_size": "16"}, ["--batch-size=16"]),
        # nanoGPT's configurator takes only --key=value: a new key is added in that form
        (["--learning_rate=1e-3"], {"seed": "7"}, ["--learning_rate=1e-3", "--seed=7"]),
        (["--lr", "0.1"], {"seed": "7"}, ["--lr", "0.1", "--seed", "7"]),
        (["--lr=0.1", "--fast"], {"seed": "7"}, ["--lr=0.1", "--fast", "--seed", "7"]),
        ([], {"seed": "7"}, ["--seed", "7"]),
    ],
)
def test_set_rewrites_or_adds_in_the_recorded_form(
    args: list[str], sets: dict[str, str], expected: list[str]
) -> None:
    assert apply_overrides(args, sets) == expected
