"""Tutorial-style mlflow scripts run unchanged under `runar --as mlflow` and, with
``import runar.compat.mlflow as mlflow``, under plain python."""

from __future__ import annotations

from pathlib import Path

import pytest

from runar.store import Store

from ..helpers import artifact_texts, only_record, parent_of, records, run_script, sdk_points

# the shape of mlflow's quickstart and of HF examples' hand-written tracking
TUTORIAL = """
import argparse

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()

mlflow.set_experiment("mnist-tutorial")
with mlflow.start_run(run_name="sgd-baseline") as run:
    print("run id", run.info.run_id, mlflow.active_run().info.run_id == run.info.run_id)
    mlflow.log_params({"lr": args.lr, "epochs": args.epochs, "optimizer": "sgd"})
    mlflow.set_tag("model", "logreg")
    for epoch in range(args.epochs):
        train_loss = 1.0 / (epoch + 1)
        mlflow.log_metric("loss", train_loss, step=epoch)
        mlflow.log_metrics({"accuracy": 0.5 + 0.1 * epoch, "lr": args.lr}, step=epoch)
    with open("model.txt", "w") as f:
        f.write("weights: 0.1 0.2 0.3\\n")
    mlflow.log_artifact("model.txt")
    mlflow.log_dict({"lr": args.lr, "epochs": args.epochs}, "config/params.json")
    mlflow.log_text("all good", "notes/summary.txt")
    mlflow.log_metric("final_accuracy", 0.7)
print("active after", mlflow.active_run())
"""


@pytest.mark.parametrize("mode", ["runar --as mlflow", "python standalone"])
def test_tutorial_params_metrics_and_artifacts_land(
    store: Store, tmp_path: Path, mode: str
) -> None:
    as_mlflow = mode.startswith("runar")
    code = (
        TUTORIAL
        if as_mlflow
        else TUTORIAL.replace("import mlflow", "import runar.compat.mlflow as mlflow")
    )
    done = run_script(store, tmp_path, code, "--lr", "0.05", as_="mlflow" if as_mlflow else None)
    assert done.returncode == 0, done.stderr
    assert " True\n" in done.stdout and "active after None" in done.stdout
    record = only_record(store)
    assert (record["name"], record["status"]) == ("sgd-baseline", "completed")
    assert record["id"] in done.stdout
    config = record["config"]
    assert {k: config[k] for k in ("lr", "epochs", "optimizer")} == {
        "lr": 0.05,
        "epochs": 3,
        "optimizer": "sgd",
    }
    assert config["_mlflow"] == {"experiment": "mnist-tutorial"}
    assert record["tags"] == ["model:logreg"]
    assert sdk_points(store, record["id"]) == {
        "loss": [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))],
        "accuracy": [(0, 0.5), (1, 0.6), (2, pytest.approx(0.7))],
        "lr": [(0, 0.05), (1, 0.05), (2, 0.05)],
        "final_accuracy": [(0, 0.7)],
    }
    assert artifact_texts(record) == {
        "model.txt": "weights: 0.1 0.2 0.3\n",
        "config/params.json": '{\n  "lr": 0.05,\n  "epochs": 3\n}',
        "notes/summary.txt": "all good",
    }


SEARCH = """
import mlflow

with mlflow.start_run(run_name="search") as parent:
    for lr in (0.1, 0.01):
        with mlflow.start_run(run_name=f"lr-{lr}", nested=True) as child:
            mlflow.log_param("lr", lr)
            mlflow.log_metric("val_loss", lr * 10)
            assert mlflow.active_run().info.run_id == child.info.run_id
    mlflow.log_metric("best_val_loss", 0.1)
"""


@pytest.mark.parametrize("mode", ["runar --as mlflow", "python standalone"])
def test_nested_runs_are_child_runs_of_the_enclosing_one(
    store: Store, tmp_path: Path, mode: str
) -> None:
    as_mlflow = mode.startswith("runar")
    code = (
        SEARCH
        if as_mlflow
        else SEARCH.replace("import mlflow", "import runar.compat.mlflow as mlflow")
    )
    done = run_script(store, tmp_path, code, as_="mlflow" if as_mlflow else None)
    assert done.returncode == 0, done.stderr
    by_name = {r["name"]: r for r in records(store)}
    assert sorted(by_name) == ["lr-0.01", "lr-0.1", "search"]
    parent = by_name["search"]
    for name, lr in (("lr-0.1", 0.1), ("lr-0.01", 0.01)):
        child = by_name[name]
        assert parent_of(store, child["id"]) == parent["id"]
        assert child["status"] == "completed" and child["config"] == {"lr": lr}
        assert sdk_points(store, child["id"]) == {"val_loss": [(0, pytest.approx(lr * 10))]}
    assert sdk_points(store, parent["id"]) == {"best_val_loss": [(0, 0.1)]}
    assert parent_of(store, parent["id"]) is None


def test_an_exception_inside_start_run_fails_the_run_with_its_reason(
    store: Store, tmp_path: Path
) -> None:
    code = """
    import runar.compat.mlflow as mlflow

    with mlflow.start_run():
        mlflow.log_metric("loss", 0.5)
        raise RuntimeError("CUDA out of memory")
    """
    done = run_script(store, tmp_path, code)
    assert done.returncode == 1
    record = only_record(store)
    assert (record["status"], record["error"]) == ("failed", "RuntimeError: CUDA out of memory")


def test_a_logging_call_without_start_run_starts_one(store: Store, tmp_path: Path) -> None:
    code = """
    import mlflow

    mlflow.autolog()
    mlflow.log_param("alpha", 0.5)
    for i in range(3):
        mlflow.log_metric("rmse", 1.0 / (i + 1))
    """
    done = run_script(store, tmp_path, code, as_="mlflow")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("autolog() records nothing") == 1
    record = only_record(store)
    assert record["config"]["alpha"] == 0.5
    assert sdk_points(store, record["id"]) == {
        "rmse": [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    }
