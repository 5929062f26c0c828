"""@experiment: parameters from the command line, recorded as config; returned dict → summary."""

from __future__ import annotations

from pathlib import Path

import pytest

import runar
from runar.events import ConfigSet, RunFinished, SummarySet
from runar.store import Store

from .helpers import events_of, of_type, only_run, run_script, run_under_runar, runs_by_source

pytestmark = pytest.mark.timeout(120)

SCRIPT = """
    from typing import Literal
    import runar

    @runar.experiment
    def train(
        lr: float = 1e-3,
        epochs: int = 2,
        optimizer: Literal["adam", "sgd"] = "adam",
        amp: bool = False,
        run_name: str = "x",
    ) -> dict:
        \"\"\"Train a tiny model.\"\"\"
        print(f"lr={lr!r} epochs={epochs!r} optimizer={optimizer} amp={amp} name={run_name}")
        return {"final_loss": 0.25, "note": "not a number"}

    train()
"""


def test_cli_arguments_fill_the_parameters_and_the_config(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store, tmp_path, SCRIPT, "--lr", "1e-4", "--epochs", "20", "--optimizer", "sgd", "--amp"
    )
    assert done.returncode == 0, done.stderr
    assert "lr=0.0001 epochs=20 optimizer=sgd amp=True name=x" in done.stdout
    events = events_of(store, only_run(store))
    assert of_type(events, ConfigSet)[0].values == {
        "lr": 1e-4,
        "epochs": 20,
        "optimizer": "sgd",
        "amp": True,
        "run_name": "x",
    }
    assert of_type(events, SummarySet)[0].values == {"final_loss": 0.25}
    assert of_type(events, RunFinished)[0].status == "completed"


def test_help_lists_the_parameters(store: Store, tmp_path: Path) -> None:
    done = run_script(store, tmp_path, SCRIPT, "--help")
    assert done.returncode == 0
    for option in ("--lr", "--epochs", "{adam,sgd}", "--amp", "--no-amp", "--run-name"):
        assert option in done.stdout
    assert "Train a tiny model." in done.stdout
    assert store.run_ids() == []


@pytest.mark.parametrize("args", [("--bogus", "1"), ("--optimizer", "rmsprop"), ("--epochs", "x")])
def test_bad_arguments_get_a_usage_error(store: Store, tmp_path: Path, args: tuple[str]) -> None:
    done = run_script(store, tmp_path, SCRIPT, *args)
    assert done.returncode == 2
    assert "usage:" in done.stderr and "Traceback" not in done.stderr


def test_a_failing_experiment_fails_the_run(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import runar
        @runar.experiment
        def f(x: int = 1):
            raise ValueError("nan loss")
        f()
        """,
    )
    assert done.returncode == 1
    (finished,) = of_type(events_of(store, only_run(store)), RunFinished)
    assert finished.status == "failed" and "nan loss" in (finished.error or "")


def test_called_with_arguments_it_uses_them(store: Store) -> None:
    @runar.experiment(name="direct", tags=["unit"])
    def train(lr: float = 0.1, layers: int | None = None) -> dict[str, float]:
        return {"loss": lr * 2}

    assert train(lr=0.5) == {"loss": 1.0}
    events = events_of(store, only_run(store))
    assert of_type(events, ConfigSet)[0].values == {"lr": 0.5, "layers": None}
    assert of_type(events, SummarySet)[0].values == {"loss": 1.0}


def test_inside_an_active_run_it_records_into_that_run(store: Store) -> None:
    @runar.experiment
    def train(lr: float = 0.1) -> None:
        runar.log({"loss": lr})

    with runar.Run("outer") as run:
        train(lr=0.2)
        train(lr=0.3)
    assert store.run_ids() == [run.run_id]
    assert [c.values for c in of_type(events_of(store, run.run_id), ConfigSet)] == [
        {"lr": 0.2},
        {"lr": 0.3},
    ]


def test_a_required_parameter_is_a_required_option(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store, tmp_path, "import runar\n@runar.experiment\ndef f(data: str):\n    pass\nf()\n"
    )
    assert done.returncode == 2 and "--data" in done.stderr


LIST_SCRIPT = """
    from typing import Optional
    import runar

    @runar.experiment
    def train(
        layers: list[int] = [64],
        scales: tuple[float, ...] = (1.0,),
        names: Optional[list[str]] = None,
    ) -> None:
        print(f"layers={layers!r} scales={scales!r} names={names!r}")

    train()
"""


def test_list_parameters_arrive_as_lists_and_are_recorded(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store, tmp_path, LIST_SCRIPT, "--layers", "64", "128", "256", "--scales", "0.5,2"
    )
    assert done.returncode == 0, done.stderr
    assert "layers=[64, 128, 256] scales=(0.5, 2.0) names=None" in done.stdout
    assert of_type(events_of(store, only_run(store)), ConfigSet)[0].values == {
        "layers": [64, 128, 256],
        "scales": [0.5, 2.0],
        "names": None,
    }


@pytest.mark.timeout(120)
def test_under_the_runner_the_experiment_is_the_runners_run(store: Store, tmp_path: Path) -> None:
    done = run_under_runar(store, tmp_path, LIST_SCRIPT, "--names", "a", "b")
    assert done.returncode == 0, done.stderr
    assert "sdk" not in runs_by_source(store)  # no child run: the experiment is the run
    events = events_of(store, only_run(store))
    assert of_type(events, ConfigSet)[0].values["names"] == ["a", "b"]
    assert [f.status for f in of_type(events, RunFinished)] == ["completed"]
