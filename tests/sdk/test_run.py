"""Run in-process: lifecycle, metrics, config, tags, notes and steps, owned or joined."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import runar
from runar.errors import InvalidName, RunarError
from runar.events import (
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunRenamed,
    RunStarted,
    StepFinished,
    StepStarted,
    TagsChanged,
    WriterOpened,
)
from runar.store import Store

from .helpers import events_of, of_type, only_run


def test_a_standalone_run_records_its_start(store: Store) -> None:
    with runar.Run("bert") as run:
        pass
    started = of_type(events_of(store, run.run_id), RunStarted)
    assert len(started) == 1
    assert started[0].name == "bert" and started[0].source == "sdk"
    assert started[0].pid == os.getpid() and started[0].cwd == os.getcwd()
    assert started[0].python and started[0].executable and started[0].host


def test_a_run_that_ends_cleanly_is_completed(store: Store) -> None:
    with runar.Run() as run:
        run.log({"loss": 1.0})
    (finished,) = of_type(events_of(store, run.run_id), RunFinished)
    assert finished.status == "completed"


def test_an_exception_fails_the_run_and_propagates(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), runar.Run() as run:
        1 / 0  # noqa: B018
    (finished,) = of_type(events_of(store, run.run_id), RunFinished)
    assert finished.status == "failed"
    assert finished.error is not None and "ZeroDivisionError" in finished.error


def test_run_methods_record_their_events(store: Store) -> None:
    with runar.Run("r", config={"lr": 0.1}, tags=["base"]) as run:
        run.config({"model": {"depth": 2}})
        run.tag("v2")
        run.note("first try")
    events = events_of(store, run.run_id)
    assert [c.values for c in of_type(events, ConfigSet)] == [
        {"lr": 0.1},
        {"model": {"depth": 2}},
    ]
    assert [t.added for t in of_type(events, TagsChanged)] == [["base"], ["v2"]]
    assert [n.text for n in of_type(events, NoteAdded)] == ["first try"]


def test_steps_count_automatically_and_follow_explicit_steps(store: Store) -> None:
    with runar.Run() as run:
        run.log({"a": 1})
        run.log({"a": 2})
        run.log({"a": 3}, step=10)
        run.log({"a": 4})
    steps = [m.step for m in of_type(events_of(store, run.run_id), MetricsLogged)]
    assert steps == [0, 1, 10, 11]


def test_module_functions_write_to_the_run_in_a_with_block(store: Store) -> None:
    with runar.Run() as run:
        runar.log({"loss": 0.5})
        runar.tag("inner")
    events = events_of(store, run.run_id)
    assert of_type(events, MetricsLogged)[0].values == {"loss": 0.5}
    assert only_run(store) == run.run_id


def test_logging_after_finish_is_refused(store: Store) -> None:
    run = runar.Run()
    run.finish()
    with pytest.raises(RunarError, match="finished"):
        run.log({"a": 1.0})


def test_a_bad_run_name_is_refused(store: Store) -> None:
    with pytest.raises(InvalidName):
        runar.Run("  ")


def test_steps_nest_and_carry_metrics_and_artifacts(store: Store) -> None:
    with runar.Run() as run, run.step("train") as outer:
        with runar.step("epoch") as inner:
            runar.log({"loss": 0.5})
        run.save("notes.txt", "hello")
    events = events_of(store, run.run_id)
    started = {s.name: s for s in of_type(events, StepStarted)}
    assert started["train"].parent is None
    assert started["epoch"].parent == outer.step_id
    assert of_type(events, MetricsLogged)[0].workflow_step == inner.step_id
    assert of_type(events, ArtifactAttached)[0].workflow_step == outer.step_id
    assert {f.status for f in of_type(events, StepFinished)} == {"completed"}


def test_a_failing_step_records_the_exception_and_propagates(store: Store) -> None:
    with runar.Run() as run:
        with pytest.raises(KeyError), run.step("load"):
            raise KeyError("shard-3")
        run.log({"after": 1.0})
    (finished,) = of_type(events_of(store, run.run_id), StepFinished)
    assert finished.status == "failed"
    assert finished.error_type == "KeyError" and "shard-3" in (finished.error or "")


def test_under_the_runner_a_run_joins_and_renames(store: Store, runner_run: str) -> None:
    with runar.Run("bert", config={"lr": 1e-4}) as run:
        run.log({"loss": 0.1})
    assert run.run_id == runner_run and not run.owned
    events = events_of(store, runner_run)
    assert [e.source for e in of_type(events, RunStarted)] == ["runner"]
    assert of_type(events, RunFinished) == []
    assert [r.name for r in of_type(events, RunRenamed)] == ["bert"]
    assert of_type(events, ConfigSet)[0].values == {"lr": 1e-4}


def test_a_ddp_rank_writes_with_its_rank_as_role(
    store: Store, runner_run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "3")
    with runar.Run() as run:
        run.log({"loss": 0.1})
    roles = {w.role for w in of_type(events_of(store, runner_run), WriterOpened)}
    assert "rank3" in roles


def test_a_standalone_run_puts_itself_in_the_environment(store: Store) -> None:
    with runar.Run() as run:
        assert os.environ["RUNAR_RUN_ID"] == run.run_id
        assert Path(os.environ["RUNAR_DIR"]) == store.root
    assert "RUNAR_RUN_ID" not in os.environ


def test_sequential_runs_are_separate(store: Store) -> None:
    ids = []
    for lr in (0.1, 0.01):
        with runar.Run(f"lr{lr}", config={"lr": lr}) as run:
            run.log({"loss": lr})
        ids.append(run.run_id)
    assert sorted(ids) == sorted(store.run_ids()) and len(set(ids)) == 2
