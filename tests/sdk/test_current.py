"""Module-level functions in real interpreters: plain python, and under the runner."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runar.events import (
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunRenamed,
    RunStarted,
    TagsChanged,
)
from runar.store import Store

from .helpers import events_of, of_type, only_run, run_script

pytestmark = pytest.mark.timeout(120)

EVERY_CALL = """
    import math
    from runar import config, log, note, save, step, tag
    config({"lr": 0.1, "model": {"depth": 2}})
    tag("baseline")
    note("first")
    for i in range(3):
        log({"loss": 1.0 / (i + 1), "odd": math.nan if i == 1 else math.inf})
    with step("eval"):
        save("report.txt", "all good")
"""


def test_every_call_under_plain_python_lands_in_one_completed_run(
    store: Store, tmp_path: Path
) -> None:
    done = run_script(store, tmp_path, EVERY_CALL)
    assert done.returncode == 0, done.stderr
    events = events_of(store, only_run(store))
    assert of_type(events, RunStarted)[0].argv[0].endswith("script.py")
    assert of_type(events, ConfigSet)[0].values == {"lr": 0.1, "model": {"depth": 2}}
    assert of_type(events, TagsChanged)[0].added == ["baseline"]
    assert of_type(events, NoteAdded)[0].text == "first"
    metrics = of_type(events, MetricsLogged)
    assert [m.values["loss"] for m in metrics] == [1.0, 0.5, 1.0 / 3]
    assert math.isnan(metrics[1].values["odd"]) and metrics[0].values["odd"] == math.inf
    assert of_type(events, ArtifactAttached)[0].name == "report.txt"
    assert [f.status for f in of_type(events, RunFinished)] == ["completed"]


def test_every_call_under_the_runner_writes_into_the_runners_run(
    store: Store, tmp_path: Path, runner_run: str
) -> None:
    done = run_script(store, tmp_path, EVERY_CALL, env={"RUNAR_RUN_ID": runner_run})
    assert done.returncode == 0, done.stderr
    assert only_run(store) == runner_run
    events = events_of(store, runner_run)
    assert [s.source for s in of_type(events, RunStarted)] == ["runner"]
    assert of_type(events, RunFinished) == []
    assert len(of_type(events, MetricsLogged)) == 3
    assert (store.artifacts_dir(runner_run) / "report.txt").read_text() == "all good"


def test_a_process_given_only_the_run_id_joins_that_run_in_the_store_it_finds(
    store: Store, tmp_path: Path, runner_run: str
) -> None:
    # a rank on a second node launched with RUNAR_RUN_ID but without RUNAR_DIR
    (tmp_path / "script.py").write_text(textwrap.dedent(EVERY_CALL))
    env = {k: v for k, v in os.environ.items() if k != "RUNAR_DIR"}
    done = subprocess.run(
        [sys.executable, "script.py"],
        cwd=tmp_path,  # where .runar/ is found, as on a node whose store is its working folder
        env={**env, "RUNAR_RUN_ID": runner_run},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert only_run(store) == runner_run
    assert len(of_type(events_of(store, runner_run), MetricsLogged)) == 3


def test_an_uncaught_exception_fails_the_run_with_its_traceback(
    store: Store, tmp_path: Path
) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import runar
        runar.log({"loss": 1.0})
        raise RuntimeError("diverged at step 7")
        """,
    )
    assert done.returncode == 1
    assert "diverged at step 7" in done.stderr  # the default hook still prints it
    (finished,) = of_type(events_of(store, only_run(store)), RunFinished)
    assert finished.status == "failed"
    assert finished.error == "RuntimeError: diverged at step 7"
    assert finished.error_type == "RuntimeError"
    assert finished.traceback is not None
    assert 'raise RuntimeError("diverged at step 7")' in finished.traceback
    assert finished.traceback.splitlines()[-1] == "RuntimeError: diverged at step 7"


def test_an_uncaught_library_exception_is_named_with_its_module(
    store: Store, tmp_path: Path
) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import json
        import runar
        runar.log({"loss": 1.0})
        json.loads("{not json")
        """,
    )
    assert done.returncode == 1
    (finished,) = of_type(events_of(store, only_run(store)), RunFinished)
    assert finished.error_type == "json.decoder.JSONDecodeError"
    assert (finished.error or "").startswith("json.decoder.JSONDecodeError: Expecting property")


def test_an_earlier_excepthook_is_still_called(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import sys
        sys.excepthook = lambda *exc: print("their hook ran")
        import runar
        runar.log({"loss": 1.0})
        raise ValueError("x")
        """,
    )
    assert "their hook ran" in done.stdout
    assert of_type(events_of(store, only_run(store)), RunFinished)[0].status == "failed"


def test_ctrl_c_marks_the_run_killed(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store, tmp_path, "import runar\nrunar.log({'a': 1})\nraise KeyboardInterrupt\n"
    )
    assert done.returncode != 0
    (finished,) = of_type(events_of(store, only_run(store)), RunFinished)
    assert (finished.status, finished.error) == ("killed", "KeyboardInterrupt")


def test_init_and_finish_make_separate_named_runs(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import runar
        for lr in (0.1, 0.01):
            run = runar.init(name=f"lr{lr}", config={"lr": lr}, tags=["sweep"])
            runar.log({"loss": lr})
            runar.finish()
        print(run.run_id)
        """,
    )
    assert done.returncode == 0, done.stderr
    names = sorted(of_type(events_of(store, r), RunStarted)[0].name or "" for r in store.run_ids())
    assert names == ["lr0.01", "lr0.1"]


def test_init_adopts_a_run_that_earlier_calls_started(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        "import runar\nrunar.log({'a': 1})\nrunar.init(name='late')\nrunar.log({'a': 2})\n",
    )
    assert done.returncode == 0, done.stderr
    events = events_of(store, only_run(store))
    assert [r.name for r in of_type(events, RunRenamed)] == ["late"]
    assert len(of_type(events, MetricsLogged)) == 2


def test_init_under_the_runner_renames_the_runners_run(
    store: Store, tmp_path: Path, runner_run: str
) -> None:
    done = run_script(
        store,
        tmp_path,
        "import runar\nrunar.init(name='bert', tags=['a'])\nrunar.log({'x': 1})\n",
        env={"RUNAR_RUN_ID": runner_run},
    )
    assert done.returncode == 0, done.stderr
    events = events_of(store, runner_run)
    assert [r.name for r in of_type(events, RunRenamed)] == ["bert"]
    assert of_type(events, TagsChanged)[0].added == ["a"]


def test_a_second_init_under_the_runner_starts_a_child_run(
    store: Store, tmp_path: Path, runner_run: str
) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import runar
        for lr in (0.1, 0.01):
            runar.init(name=f"lr{lr}", config={"lr": lr})
            runar.log({"loss": lr})
            runar.finish()
        """,
        env={"RUNAR_RUN_ID": runner_run},
    )
    assert done.returncode == 0, done.stderr
    runner_events = events_of(store, runner_run)
    assert [r.name for r in of_type(runner_events, RunRenamed)] == ["lr0.1"]
    assert of_type(runner_events, MetricsLogged)[0].values == {"loss": 0.1}
    (child,) = [r for r in store.run_ids() if r != runner_run]
    (started,) = of_type(events_of(store, child), RunStarted)
    assert (started.name, started.parent_run) == ("lr0.01", runner_run)
    assert of_type(events_of(store, child), MetricsLogged)[0].values == {"loss": 0.01}


def test_a_bad_value_raises_at_the_call_site(store: Store, tmp_path: Path) -> None:
    done = run_script(store, tmp_path, "import runar\nrunar.log({'acc': 'high'})\n")
    assert done.returncode == 1
    assert "script.py" in done.stderr and "metric 'acc' must be a number" in done.stderr


def test_storage_trouble_warns_once_and_training_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = Store(blocker / ".runar")  # a file in the way: even root cannot create it
    done = run_script(
        store,
        tmp_path,
        """
        import runar, time
        for i in range(500):
            runar.log({"loss": 1.0 / (i + 1)})
        time.sleep(0.3)
        print("trained")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "trained" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("runar:")]
    assert len(warnings) == 1 and "training continues" in warnings[0]


def test_a_run_folder_removed_mid_training_does_not_stop_it(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import os, shutil, time
        import runar
        runar.log({"loss": 1.0})
        time.sleep(0.2)
        shutil.rmtree(os.path.join(os.environ["RUNAR_DIR"], "runs"))
        for i in range(200):
            runar.log({"loss": 1.0 / (i + 2)})
        time.sleep(0.2)
        print("trained")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "trained" in done.stdout
