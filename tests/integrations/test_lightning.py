"""runar.integrations.lightning against real Lightning: a one-layer module, two epochs, CPU.

Under ``runar`` one process trains; under plain ``python`` two DDP ranks (gloo) do, so the
run the logger starts on rank zero must reach the rank Lightning launches afterwards.
"""

from __future__ import annotations

import csv
from argparse import Namespace
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")

from lightning.pytorch.utilities import AttributeDict, rank_zero_only

from runar.events import ConfigSet, MetricsLogged
from runar.integrations.lightning import NoRun, RunarLogger
from runar.journal import read_run
from runar.sdk import run as sdk_run
from tests.integrations.training import Trained, train_once


@pytest.fixture(scope="module", params=["runar", "python-ddp"])
def trained(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Trained:
    devices = "1" if request.param == "runar" else "2"
    args = ["--root", "out", "--devices", devices, "--name", "tiny"]
    under = request.param == "runar"
    key = f"lightning-{request.param}"
    return train_once(
        tmp_path_factory, worker_id, key, "train_lightning.py", *args, under_runar=under
    )


def csv_rows(path: Path) -> list[tuple[int, dict[str, float]]]:
    """Lightning's CSVLogger: one row per log_metrics call, empty cells for absent keys."""
    with open(path, newline="") as f:
        return [
            (int(row.pop("step")), {k: float(v) for k, v in row.items() if v != ""})
            for row in csv.DictReader(f)
        ]


def test_metrics_are_what_lightning_logged_at_its_steps(trained: Trained):
    rank_zero = [m for m in trained.metrics() if not any(k.startswith("rank") for k in m[1])]
    assert rank_zero == csv_rows(trained.work / trained.truth["metrics_csv"])
    assert {key for _, values in rank_zero for key in values} == {"train_loss", "val_loss", "epoch"}


def test_every_rank_logs_into_the_same_run(trained: Trained):
    ranks = 2 if "ddp" in trained.work.name else 1
    by_key = {key: values[key] for _, values in trained.metrics() for key in values}
    assert {k for k in by_key if k.startswith("rank")} == {f"rank{r}_steps" for r in range(ranks)}
    if ranks == 2:
        writers = {e.writer.split("-")[0] for e in trained.events if isinstance(e, MetricsLogged)}
        assert "rank1" in writers  # the launched rank's own writer, in the run rank zero started
    assert trained.truth["version"] == (trained.run_id)


def test_hyperparameters_are_the_modules_hparams(trained: Trained):
    assert trained.config() == {"lr": 0.05, "hidden_dims": [4], "optimizer": "sgd"}
    assert trained.truth["hparams"]["lr"] == 0.05


def test_each_checkpoint_kept_is_referenced_not_copied(trained: Trained):
    artifacts = trained.artifacts()
    best = trained.work / trained.truth["best_model_path"]
    assert best.parent == (trained.work / "out" / "tiny" / trained.run_id / "checkpoints")
    reference = artifacts[f"checkpoints/{best.name}"]
    assert reference["path"] == str(best.resolve())
    assert reference["size"] == best.stat().st_size
    assert (reference["kind"], reference["monitor"]) == ("best", None)
    # save_top_k=1: the first epoch's file was recorded when written, then pruned
    assert len(artifacts) == 2


# -- the logger's methods in this process -----------------------------------------------
@pytest.fixture
def logger(store):
    made = RunarLogger(name="unit")
    yield made
    for run in list(sdk_run._active):
        run.finish()


def config_events(run) -> list[dict]:
    run.finish()
    return [e.values for e in read_run(run.run_dir).events if isinstance(e, ConfigSet)]


@pytest.mark.parametrize(
    "params",
    [
        Namespace(lr=0.1, layers=[2, 3]),
        {"lr": 0.1, "layers": [2, 3]},
        AttributeDict(lr=0.1, layers=[2, 3]),
    ],
    ids=["namespace", "dict", "attributedict"],
)
def test_hyperparameters_from_a_namespace_dict_or_attributedict(logger, params):
    logger.log_hyperparams(params)
    assert config_events(logger.experiment) == [{"lr": 0.1, "layers": [2, 3]}]


def test_classes_and_functions_in_hyperparameters_are_named(logger):
    logger.log_hyperparams({"act": Path, "init": csv_rows, "nested": {"fn": len}})
    assert config_events(logger.experiment) == [
        {"act": "Path", "init": "csv_rows", "nested": {"fn": "len"}}
    ]


def test_metrics_take_the_prefix_and_leave_out_what_is_not_a_number(store):
    import torch

    logger = RunarLogger(prefix="fold1")
    run = logger.experiment
    assert (logger.name, logger.version) == ("runar", run.run_id)
    logger.log_metrics({"loss": torch.tensor(0.25), "stage": "fit", "hist": torch.ones(3)}, step=7)
    run.finish()
    logged = [
        (e.step, e.values) for e in read_run(run.run_dir).events if isinstance(e, MetricsLogged)
    ]
    assert logged == [(7, {"fold1/loss": 0.25})]


def test_a_rank_other_than_zero_logs_metrics_nowhere(store, monkeypatch):
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = RunarLogger()
    logger.log_metrics({"loss": 0.5}, step=1)
    logger.log_hyperparams({"lr": 0.1})
    assert isinstance(logger.experiment, NoRun)  # no RUNAR_RUN_ID: no run to join
    assert logger.version is None
    assert store.run_ids() == []
