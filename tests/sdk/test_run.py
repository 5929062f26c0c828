"""Run: lifecycle, metrics, config, tags, notes and steps, owned or joined; failure reasons;
in-process, and under the real runner for the runs a script opens inside the runner's run."""

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
from runar.sdk import standalone
from runar.store import Store

from .helpers import events_of, of_type, only_run, run_under_runar, runs_by_source

SWEEP = """
    import runar
    runar.log({"setup": 1.0})
    for lr in (0.1, 0.01, 0.001):
        with runar.Run(f"lr-{lr}", tags=["sweep"]) as run:
            run.config({"lr": lr})
            for step in range(3):
                run.log({"loss": lr * (3 - step)})
"""


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


class Diverged(Exception):
    """A non-builtin exception: its type is recorded with its module."""


def finished_of(store: Store, run: runar.Run) -> RunFinished:
    (finished,) = of_type(events_of(store, run.run_id), RunFinished)
    return finished


def test_an_exception_fails_the_run_and_propagates(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), runar.Run() as run:
        1 / 0  # noqa: B018
    finished = finished_of(store, run)
    assert finished.status == "failed"
    assert finished.error == "ZeroDivisionError: division by zero"
    assert finished.error_type == "ZeroDivisionError"
    assert finished.traceback is not None
    assert "1 / 0" in finished.traceback
    assert finished.traceback.splitlines()[-1] == "ZeroDivisionError: division by zero"


def test_a_non_builtin_exception_is_named_with_its_module(store: Store) -> None:
    with pytest.raises(Diverged), runar.Run() as run:
        raise Diverged("loss is nan at step 7")
    finished = finished_of(store, run)
    assert finished.error_type == f"{__name__}.Diverged"
    assert finished.error == f"{__name__}.Diverged: loss is nan at step 7"


def test_the_reason_is_the_first_line_of_the_message_capped(store: Store) -> None:
    with pytest.raises(ValueError), runar.Run() as run:
        raise ValueError("bad shape\n" + "x" * 2000)
    assert finished_of(store, run).error == "ValueError: bad shape"
    with pytest.raises(ValueError), runar.Run() as run:
        raise ValueError("y" * 2000)
    error = finished_of(store, run).error
    assert error is not None and error.startswith("ValueError: yyy")
    assert len(error) == standalone.MAX_ERROR_CHARS


def test_the_traceback_keeps_only_its_last_lines(store: Store) -> None:
    def ping(n: int) -> None:
        if n == 0:
            raise RuntimeError("bottom")
        pong(n - 1)

    def pong(n: int) -> None:  # alternating frames: Python collapses only identical ones
        ping(n)

    with pytest.raises(RuntimeError), runar.Run() as run:
        ping(30)
    text = finished_of(store, run).traceback or ""
    assert len(text.splitlines()) == standalone.MAX_TRACEBACK_LINES
    assert text.splitlines()[-1] == "RuntimeError: bottom"


def test_a_chained_exception_keeps_its_cause_in_the_traceback(store: Store) -> None:
    with pytest.raises(ValueError), runar.Run() as run:
        try:
            {}["shard-3"]
        except KeyError as exc:
            raise ValueError("cannot load the data") from exc
    finished = finished_of(store, run)
    assert finished.error == "ValueError: cannot load the data"
    assert "KeyError: 'shard-3'" in (finished.traceback or "")
    assert "direct cause" in (finished.traceback or "")


def test_ctrl_c_in_a_run_marks_it_killed(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), runar.Run() as run:
        raise KeyboardInterrupt
    finished = finished_of(store, run)
    assert (finished.status, finished.error) == ("killed", "KeyboardInterrupt")


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [(0, "completed", None), (None, "completed", None), (3, "failed", "SystemExit: 3")],
)
def test_sys_exit_in_a_run_ends_it_by_its_code(
    store: Store, code: int | None, status: str, error: str | None
) -> None:
    with pytest.raises(SystemExit), runar.Run() as run:
        raise SystemExit(code)
    finished = finished_of(store, run)
    assert (finished.status, finished.error) == (status, error)


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


def test_under_the_runner_a_run_is_a_child_of_the_runners_run(
    store: Store, runner_run: str
) -> None:
    with runar.Run("bert", config={"lr": 1e-4}) as run:
        run.log({"loss": 0.1})
    assert run.run_id != runner_run and run.owned
    events = events_of(store, run.run_id)
    (started,) = of_type(events, RunStarted)
    assert (started.name, started.parent_run) == ("bert", runner_run)
    assert of_type(events, ConfigSet)[0].values == {"lr": 1e-4}
    assert of_type(events, MetricsLogged)[0].values == {"loss": 0.1}
    assert [f.status for f in of_type(events, RunFinished)] == ["completed"]
    runner_events = events_of(store, runner_run)
    assert of_type(runner_events, RunFinished) == of_type(runner_events, ConfigSet) == []


def test_after_a_child_run_module_calls_go_to_the_runners_run(
    store: Store, runner_run: str
) -> None:
    with runar.Run("child") as run:
        assert os.environ["RUNAR_RUN_ID"] == run.run_id  # its subprocesses log into it
        runar.log({"inside": 1.0})
    assert os.environ["RUNAR_RUN_ID"] == runner_run
    runar.log({"outside": 1.0})
    runar.finish()  # flushes the joined run; the runner's run goes on
    assert of_type(events_of(store, run.run_id), MetricsLogged)[0].values == {"inside": 1.0}
    logged = of_type(events_of(store, runner_run), MetricsLogged)
    assert [m.values for m in logged] == [{"outside": 1.0}]


def test_attach_under_the_runner_joins_and_renames(store: Store, runner_run: str) -> None:
    with runar.Run.attach("bert", config={"lr": 1e-4}) as run:
        run.log({"loss": 0.1})
    assert run.run_id == runner_run and not run.owned
    events = events_of(store, runner_run)
    assert [e.source for e in of_type(events, RunStarted)] == ["runner"]
    assert of_type(events, RunFinished) == []
    assert [r.name for r in of_type(events, RunRenamed)] == ["bert"]
    assert of_type(events, ConfigSet)[0].values == {"lr": 1e-4}


def test_a_failing_child_run_records_why_and_leaves_the_runners_run_alone(
    store: Store, runner_run: str
) -> None:
    with pytest.raises(ValueError), runar.Run("child") as run:
        raise ValueError("bad shape")
    assert finished_of(store, run).error == "ValueError: bad shape"
    assert of_type(events_of(store, runner_run), RunFinished) == []


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


def test_a_nested_run_under_plain_python_is_a_separate_run_without_parent(
    store: Store,
) -> None:
    with runar.Run("outer") as outer, runar.Run("inner") as inner:
        runar.log({"loss": 0.5})
    assert sorted(store.run_ids()) == sorted([outer.run_id, inner.run_id])
    (started,) = of_type(events_of(store, inner.run_id), RunStarted)
    assert started.parent_run is None
    assert of_type(events_of(store, outer.run_id), MetricsLogged) == []


def test_sequential_runs_are_separate(store: Store) -> None:
    ids = []
    for lr in (0.1, 0.01):
        with runar.Run(f"lr{lr}", config={"lr": lr}) as run:
            run.log({"loss": lr})
        ids.append(run.run_id)
    assert sorted(ids) == sorted(store.run_ids()) and len(set(ids)) == 2


@pytest.mark.timeout(120)
def test_a_sweep_under_the_runner_gives_one_child_run_per_point(
    store: Store, tmp_path: Path
) -> None:
    done = run_under_runar(store, tmp_path, SWEEP)
    assert done.returncode == 0, done.stderr
    by_source = runs_by_source(store)
    (parent,) = by_source["runner"]
    children = {s.name: s for s in by_source["sdk"]}
    assert sorted(children) == ["lr-0.001", "lr-0.01", "lr-0.1"]
    for name, started in children.items():
        assert started.parent_run == parent.run_id
        events = events_of(store, started.run_id)
        assert of_type(events, ConfigSet)[0].values == {"lr": float(name[3:])}
        assert [m.step for m in of_type(events, MetricsLogged)] == [0, 1, 2]
        assert [f.status for f in of_type(events, RunFinished)] == ["completed"]
    parent_events = events_of(store, parent.run_id)
    assert [m.values for m in of_type(parent_events, MetricsLogged)] == [{"setup": 1.0}]
    assert of_type(parent_events, ConfigSet) == []
    assert [f.status for f in of_type(parent_events, RunFinished)] == ["completed"]


@pytest.mark.timeout(120)
def test_a_failing_child_under_the_runner_leaves_the_runners_finish_to_the_runner(
    store: Store, tmp_path: Path
) -> None:
    done = run_under_runar(
        store,
        tmp_path,
        """
        import runar
        with runar.Run("child"):
            raise ValueError("bad shape")
        """,
    )
    assert done.returncode == 1
    by_source = runs_by_source(store)
    ((parent,), (child,)) = by_source["runner"], by_source["sdk"]
    (child_finished,) = of_type(events_of(store, child.run_id), RunFinished)
    assert (child_finished.status, child_finished.error) == ("failed", "ValueError: bad shape")
    (parent_finished,) = of_type(events_of(store, parent.run_id), RunFinished)
    assert parent_finished.status == "failed" and parent_finished.exit_code == 1
