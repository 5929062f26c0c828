"""runar.integrations.keras against real Keras 3 on the torch backend: a Dense layer, 3 epochs."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")
os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is first imported
keras = pytest.importorskip("keras")

from runar.integrations.keras import RunarCallback  # noqa: E402
from tests.integrations.training import Trained, train_once  # noqa: E402


@pytest.fixture(scope="module", params=["runar", "python"])
def trained(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Trained:
    under = request.param == "runar"
    args = [] if under else ["--name", "tiny-keras"]
    key = f"keras-{request.param}"
    return train_once(tmp_path_factory, worker_id, key, "train_keras.py", *args, under_runar=under)


def test_the_run_keeps_the_runners_name_or_takes_the_callbacks(trained: Trained):
    started = trained.started()
    expected = ("runner", "cli") if "runar" in trained.work.name else ("sdk", "tiny-keras")
    assert (started.source, started.name) == expected


def test_epoch_logs_land_at_the_epoch_index_as_history_has_them(trained: Trained):
    history = trained.truth["history"]
    epochs = [(step, values) for step, values in trained.metrics() if step is not None]
    epoch_logs = [(s, v) for s, v in epochs if not any(k.startswith("batch/") for k in v)]
    expected = [(i, {key: history[key][i] for key in history}) for i in range(3)]
    assert epoch_logs == expected
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_every_second_batch_lands_under_batch_at_the_batches_done(trained: Trained):
    batches = trained.truth["batches"]  # 48 training rows, batch 16: 3 per epoch, 9 in all
    logged = [(s, v) for s, v in trained.metrics() if any(k.startswith("batch/") for k in v)]
    expected = [
        (done, {f"batch/{key}": value for key, value in batches[done - 1].items()})
        for done in range(2, len(batches) + 1, 2)
    ]
    assert len(batches) == 9
    assert logged == expected


def test_the_compiled_optimizer_and_fit_settings_become_the_config(trained: Trained):
    optimizer = trained.truth["optimizer"]
    config = trained.config()
    assert config["optimizer"] == {"class": "Adam", **optimizer}
    assert config["optimizer"]["learning_rate"] == pytest.approx(0.01)
    assert (config["epochs"], config["steps_per_epoch"]) == (3, 3)


@pytest.mark.parametrize("every", [0, -2, 1.5, True])
def test_log_every_n_batches_must_be_a_positive_int(every):
    with pytest.raises(ValueError, match="log_every_n_batches"):
        RunarCallback(log_every_n_batches=every)
