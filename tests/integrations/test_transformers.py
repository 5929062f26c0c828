"""runar.integrations.transformers against the real HF Trainer: a tiny BERT, six steps, CPU."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from runar.events import RunRenamed, RunStarted  # noqa: E402
from runar.integrations.transformers import RunarCallback  # noqa: E402
from runar.sdk import run as sdk_run  # noqa: E402
from tests.integrations.training import Trained, train_once  # noqa: E402

MODES = ["runar", "python"]


@pytest.fixture(scope="module", params=MODES)
def trained(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Trained:
    args = ["--output_dir", "out", "--max_steps", "6", "--run_name", "tiny-bert"]
    under = request.param == "runar"
    key = f"bert-{request.param}"
    return train_once(tmp_path_factory, worker_id, key, "train_bert.py", *args, under_runar=under)


def test_the_run_is_the_runners_under_runar_and_the_scripts_own_under_python(trained: Trained):
    started = trained.started()
    assert started.source == ("runner" if "runar" in trained.work.name else "sdk")
    names = [e.name for e in trained.events if isinstance(e, (RunStarted, RunRenamed)) and e.name]
    # like runar.init(name=...), the callback's name names the run, unless `runar -n` did
    assert names[-1] == ("cli" if started.source == "runner" else "tiny-bert")


def test_every_log_history_entry_lands_at_its_global_step(trained: Trained):
    expected = [
        (entry["step"], {k: float(v) for k, v in entry.items() if k != "step"})
        for entry in trained.truth["log_history"]
    ]
    assert trained.metrics() == expected
    assert [step for step, _ in expected] == [2, 3, 4, 6, 6, 6]
    assert {"loss", "grad_norm", "learning_rate", "epoch"} <= expected[0][1].keys()
    assert "eval_loss" in expected[1][1] and "train_loss" in expected[-1][1]


def test_training_arguments_and_model_config_become_the_config(trained: Trained):
    config = trained.config()
    assert config["learning_rate"] == 1e-3
    assert config["max_steps"] == 6
    assert config["per_device_train_batch_size"] == 4
    assert config["eval_strategy"] == "steps"  # an Enum, recorded by value
    assert config["hub_token"] == "***"  # a token never lands in the log, whatever its value
    model = config["model"]
    assert (model["hidden_size"], model["num_hidden_layers"], model["vocab_size"]) == (16, 1, 64)
    assert model["model_type"] == "bert"


def test_checkpoints_are_references_to_the_trainers_folders(trained: Trained):
    artifacts = trained.artifacts()
    assert sorted(artifacts) == ["checkpoints/checkpoint-3", "checkpoints/checkpoint-6"]
    reference = artifacts["checkpoints/checkpoint-6"]
    folder = Path(reference["path"])
    assert folder == (trained.work / "out" / "checkpoint-6").resolve()
    assert reference["global_step"] == 6
    assert reference["files"]["model.safetensors"] == (folder / "model.safetensors").stat().st_size
    stored = trained.store.artifacts_dir(trained.run_id)
    assert sum(p.stat().st_size for p in stored.rglob("*") if p.is_file()) < 10_000  # no weights


# -- the callback's hooks with real TrainingArguments and TrainerState, no training ------
@pytest.fixture
def args(tmp_path: Path) -> transformers.TrainingArguments:
    return transformers.TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none")


@pytest.fixture
def finish_runs():
    yield
    for run in list(sdk_run._active):
        run.finish()


def test_a_process_other_than_world_zero_records_nothing(store, args, finish_runs):
    state = transformers.TrainerState(is_world_process_zero=False, global_step=4)
    control = transformers.TrainerControl()
    callback = RunarCallback()
    callback.on_train_begin(args, state, control, model=None)
    callback.on_log(args, state, control, logs={"loss": 0.5})
    callback.on_evaluate(args, state, control, metrics={"eval_loss": 0.4})
    callback.on_save(args, state, control)
    assert callback.run is None
    assert store.run_ids() == []


def test_evaluation_metrics_already_logged_are_not_logged_twice(store, args, finish_runs):
    from runar.events import MetricsLogged
    from runar.journal import read_run

    state = transformers.TrainerState(global_step=3)
    control = transformers.TrainerControl()
    callback = RunarCallback()
    callback.on_log(args, state, control, logs={"eval_loss": 0.7, "epoch": 0.5})
    # a Trainer subclass's evaluate() may hand over figures that never went through the log
    metrics = {"eval_loss": 0.7, "eval_f1": 0.25, "eval_note": "text is not a metric"}
    callback.on_evaluate(args, state, control, metrics=metrics)
    callback.on_predict(args, state, control, metrics={"test_loss": math.inf})
    run = callback.run
    assert run is not None
    run.finish()
    logged = [
        (e.step, e.values) for e in read_run(run.run_dir).events if isinstance(e, MetricsLogged)
    ]
    assert logged == [
        (3, {"eval_loss": 0.7, "epoch": 0.5}),
        (3, {"eval_f1": 0.25}),
        (3, {"test_loss": math.inf}),
    ]
