"""`runar -n NAME` against the names a script gives its run, in real runner subprocesses.

The rule: `-n` names the runner's run whatever the script says (init, @experiment, rename,
wandb, mlflow); without `-n` the script's name stands; a `Run(...)` the script opens is a
run of its own and keeps its name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runar.events import RunRenamed, RunStarted
from runar.store import Store
from runar.views import open_views

from .helpers import events_of, of_type, run_runar, write_script

pytestmark = pytest.mark.timeout(90)

NAMES_ITSELF = """
import runar
run = runar.init(name="from-script")
run.rename("renamed-in-script")
print("name", run.name)
runar.log({"loss": 0.5})
"""


def names(store: Store) -> dict[str, str]:
    """Run id → the name `runar ls` and `runar show` use."""
    with open_views(store) as views:
        return {run.run_id: run.display_name for run in views.runs()}


def runner_run(store: Store) -> str:
    (run_id,) = [
        i for i in store.run_ids() if of_type(events_of(store, i), RunStarted)[0].source == "runner"
    ]
    return run_id


def printed_name(stdout: str) -> str:
    return next(line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith("name "))


def test_n_wins_over_init_and_rename_in_the_script(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, NAMES_ITSELF)
    done = run_runar(["-n", "typed", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = runner_run(store)
    assert names(store) == {run_id: "typed"}
    assert printed_name(done.stdout) == "typed"  # the script sees the name the run has
    assert of_type(events_of(store, run_id), RunRenamed) == []
    shown = run_runar(["show", "typed", "--json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert run_id in shown.stdout


def test_without_n_the_script_names_the_run(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, NAMES_ITSELF)
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert names(store) == {runner_run(store): "renamed-in-script"}
    assert printed_name(done.stdout) == "renamed-in-script"


def test_runar_rename_afterwards_still_renames(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, NAMES_ITSELF)
    assert run_runar(["-n", "typed", "script.py"], tmp_path).returncode == 0
    assert run_runar(["rename", "typed", "better"], tmp_path).returncode == 0
    assert names(store) == {runner_run(store): "better"}


def test_a_run_the_script_opens_keeps_its_own_name(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import runar
        runar.init(name="from-script")
        with runar.Run("point-1") as point:
            point.log({"loss": 0.1})
            point.rename("point-one")
        runar.log({"loss": 0.5})
        """,
    )
    done = run_runar(["-n", "typed", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    parent = runner_run(store)
    (child,) = set(store.run_ids()) - {parent}
    assert names(store) == {parent: "typed", child: "point-one"}
    assert of_type(events_of(store, child), RunStarted)[0].parent_run == parent


def test_experiment_name_yields_to_n(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        from runar import experiment

        @experiment(name="decorated")
        def train(lr: float = 0.1):
            return {"acc": 0.9}

        train()
        """,
    )
    done = run_runar(["-n", "typed", "script.py", "--lr", "0.2"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert names(store) == {runner_run(store): "typed"}


def test_a_process_the_script_starts_names_its_own_run(store: Store, tmp_path: Path) -> None:
    """The name the user typed belongs to the runner's run alone: it does not leak into a
    nested `runar` (without -n) or into a `Run` the script opens and hands to a subprocess."""
    write_script(tmp_path, "import runar\nrunar.init(name='inner')\n", "inner.py")
    write_script(
        tmp_path,
        """
        import runar, subprocess, sys
        with runar.Run("spawner"):
            subprocess.run([sys.executable, "inner.py"], check=True)
        subprocess.run([sys.executable, "-m", "runar", "inner.py"], check=True)
        """,
    )
    done = run_runar(["-n", "typed", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    # the Run's subprocess renamed the Run; the nested runar's script named its own run
    assert sorted(names(store).values()) == ["inner", "inner", "typed"]


def test_wandb_init_name_and_run_name_yield_to_n(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import wandb
        run = wandb.init(project="p", name="from-wandb")
        run.name = "set-later"
        print("name", wandb.run.name)
        wandb.log({"loss": 0.5})
        wandb.finish()
        """,
    )
    done = run_runar(["-n", "typed", "--as", "wandb", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert names(store) == {runner_run(store): "typed"}
    assert printed_name(done.stdout) == "typed"


def test_wandb_without_n_names_the_run(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import wandb\nwandb.init(name='from-wandb')\nwandb.finish()\n")
    done = run_runar(["--as", "wandb", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert names(store) == {runner_run(store): "from-wandb"}


def test_mlflow_run_name_yields_to_n_and_a_nested_run_keeps_its_own(
    store: Store, tmp_path: Path
) -> None:
    write_script(
        tmp_path,
        """
        import mlflow
        with mlflow.start_run(run_name="from-mlflow") as run:
            mlflow.set_tag("mlflow.runName", "tagged")
            print("name", run.info.run_name)
            with mlflow.start_run(run_name="fold-0", nested=True):
                mlflow.log_metric("loss", 0.5)
        """,
    )
    done = run_runar(["-n", "typed", "--as", "mlflow", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    parent = runner_run(store)
    (child,) = set(store.run_ids()) - {parent}
    assert names(store) == {parent: "typed", child: "fold-0"}
    assert printed_name(done.stdout) == "typed"


def test_n_names_every_rank_s_view_of_the_run(store: Store, tmp_path: Path) -> None:
    """A DDP rank's Run(name=...) joins the runner's run; under -n it does not rename it."""
    write_script(
        tmp_path,
        f"""
        import os, subprocess, sys
        code = "import runar; r = runar.Run('rank-name'); r.log({{'loss': 1.0}}); r.finish()"
        for rank in ("0", "1"):
            env = {{**os.environ, "RANK": rank}}
            subprocess.run([{sys.executable!r}, "-c", code], env=env, check=True)
        """,
    )
    done = run_runar(["-n", "typed", "script.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert names(store) == {runner_run(store): "typed"}
    unnamed = run_runar(["script.py"], tmp_path)
    assert unnamed.returncode == 0, unnamed.stderr
    assert sorted(names(store).values()) == ["rank-name", "typed"]
