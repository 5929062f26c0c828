"""The runner's run named with `runar -n` (RUNAR_RUN_NAME) keeps that name against the script's.

Here the runner is simulated (tests/runner/test_run_names.py runs the real one): its run
exists, and the environment names it as the runner would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import runar
from runar.events import RunRenamed, RunStarted
from runar.sdk import environment
from runar.store import Store

from .helpers import events_of, of_type, run_script


@pytest.fixture
def named_runner_run(runner_run: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RUNAR_RUN_NAME", "typed")
    return runner_run


def test_init_joins_under_the_typed_name_and_writes_no_rename(
    store: Store, named_runner_run: str
) -> None:
    run = runar.init(name="from-script")
    run.rename("later")
    assert (run.run_id, run.name) == (named_runner_run, "typed")
    run.finish()
    assert of_type(events_of(store, named_runner_run), RunRenamed) == []


def test_an_own_run_keeps_its_name_and_hands_no_typed_name_on(
    store: Store, named_runner_run: str
) -> None:
    with runar.Run("point") as point:
        assert "RUNAR_RUN_NAME" not in os.environ  # children of `point` may name it
        point.rename("point-1")
        assert point.name == "point-1"
    assert os.environ["RUNAR_RUN_NAME"] == "typed"  # back for the runner's run
    started = of_type(events_of(store, point.run_id), RunStarted)[0]
    assert (started.name, started.parent_run) == ("point", named_runner_run)
    assert [e.name for e in of_type(events_of(store, point.run_id), RunRenamed)] == ["point-1"]


def test_a_second_init_is_a_child_run_with_the_script_s_name(
    store: Store, tmp_path: Path, named_runner_run: str
) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import runar
        for lr in (0.1, 0.01):
            run = runar.init(name=f"lr{lr}")
            print(run.name)
            runar.finish()
        """,
        env={"RUNAR_RUN_ID": named_runner_run, "RUNAR_RUN_NAME": "typed"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["typed", "lr0.01"]
    assert of_type(events_of(store, named_runner_run), RunRenamed) == []
    (child,) = [r for r in store.run_ids() if r != named_runner_run]
    assert of_type(events_of(store, child), RunStarted)[0].name == "lr0.01"


def test_claim_clears_the_typed_name_and_release_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNAR_RUN_ID", "outer")
    monkeypatch.setenv("RUNAR_DIR", "/stores/a")
    monkeypatch.setenv("RUNAR_RUN_NAME", "typed")
    saved = environment.claim("mine", "/stores/b")
    assert (os.environ["RUNAR_RUN_ID"], os.environ["RUNAR_DIR"]) == ("mine", "/stores/b")
    assert environment.command_line_name() is None
    environment.release("mine", saved)
    assert os.environ["RUNAR_RUN_ID"] == "outer"
    assert environment.command_line_name() == "typed"


def test_release_leaves_a_later_run_s_environment_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNAR_RUN_ID", "outer")
    monkeypatch.setenv("RUNAR_RUN_NAME", "typed")
    first = environment.claim("first", "/s")
    environment.claim("second", "/s")
    environment.release("first", first)
    assert os.environ["RUNAR_RUN_ID"] == "second"
    assert "RUNAR_RUN_NAME" not in os.environ


@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_typed_name_names_nothing(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RUNAR_RUN_NAME", value)
    assert environment.command_line_name() is None
