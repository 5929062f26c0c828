"""The line reader (views/stdout_metrics.py) on its own: what it reads and what it refuses."""

from __future__ import annotations

import math

import pytest

from runar.views.stdout_metrics import MAX_LINE_CHARS, parse_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Epoch 3: loss=0.4521, acc=0.8234", (3, {"loss": 0.4521, "acc": 0.8234})),
        ("step 10 | loss 0.31", (10, {"loss": 0.31})),
        ("loss: 0.31", (None, {"loss": 0.31})),
        ("loss: 0.31 (step 7)", (7, {"loss": 0.31})),
        ("loss: 0.31 (7)", (7, {"loss": 0.31})),
        ("loss=0.3 acc=0.8", (None, {"loss": 0.3, "acc": 0.8})),
        ("loss = 0.3; acc = 0.8", (None, {"loss": 0.3, "acc": 0.8})),
        ("loss: 0.3 - accuracy: 0.9", (None, {"loss": 0.3, "accuracy": 0.9})),
        ("Epoch 1 step 200: loss=0.3", (200, {"loss": 0.3, "epoch": 1.0})),
        ("[epoch 2/10] loss=0.5 val/acc=71%", (2, {"loss": 0.5, "val/acc": 71.0})),
        ("Epoch 3/10 - loss: 0.25", (3, {"loss": 0.25})),
        ("epoch=2, step=100, loss=0.1", (100, {"loss": 0.1, "epoch": 2.0})),
        ("step=5 train.loss=1.5", (5, {"train.loss": 1.5})),
        ("lr=1e-4", (None, {"lr": 0.0001})),
        ("a=-.5e3", (None, {"a": -500.0})),
        ("iter 4 | grad_norm 1.5e+02", (4, {"grad_norm": 150.0})),
        ("\x1b[32mloss=0.5\x1b[0m", (None, {"loss": 0.5})),
        ("\x1b[1mEpoch 2\x1b[0m: \x1b[33mloss=0.5\x1b[0m", (2, {"loss": 0.5})),
        ("old\rloss=0.2", (None, {"loss": 0.2})),
        ("  loss=0.2  ", (None, {"loss": 0.2})),
        ("loss=0.2\r\n", (None, {"loss": 0.2})),
        ("batch_size: 32", (None, {"batch_size": 32.0})),  # config or not: the stream decides
        ("train loss: 0.3", (None, {"train_loss": 0.3})),
        ("2024-01-15 12:30:45 INFO loss=0.3", (None, {"loss": 0.3})),
        ("100%|██████████| 100/100 [00:03<00:00, 30.1it/s, loss=0.31]", (None, {"loss": 0.31})),
        ("loss: 0.31 (step)", (None, {"loss": 0.31})),
        ("loss: 0.31 (0.35)", (None, {"loss": 0.31})),  # a running average after the value
        ("iter: 7  loss: 0.5  acc: 0.9", (7, {"loss": 0.5, "acc": 0.9})),
        ("2024-01-15 12:30:45,123 - __main__ - INFO - loss: 0.3", (None, {"loss": 0.3})),
        ("[4]\ttrain-auc:0.91\teval-ndcg@5:0.8", (4, {"train-auc": 0.91, "eval-ndcg@5": 0.8})),
        ("[4]\tTrain's auc: 0.91", (4, {"train_auc": 0.91})),
        ("[4]\teval-rmse:nan", (4, {"eval-rmse": math.nan})),
        ("3:\tlearn: 0.5\ttest: 0.6\ttest1: 0.7", (3, {"learn": 0.5, "test": 0.6, "test1": 0.7})),
    ],
)
def test_metric_lines_are_read(line: str, expected: tuple[int | None, dict[str, float]]) -> None:
    parsed = parse_line(line)
    assert parsed is not None
    assert parsed[0] == expected[0]
    assert parsed[1].keys() == expected[1].keys()
    assert all(_same(parsed[1][key], value) for key, value in expected[1].items())


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Epoch 3",
        "Step 1 of 10",
        "Epoch 3 took 45.2 seconds",
        "Epoch 3 took 45.2s",
        "Epoch 3: saving checkpoint to model.pt",
        "2024-01-15 12:30:45",
        "Python 3.11.4",
        "Python: 3.11.4",
        "version: 1.2.3",
        "torch==2.1.0",
        "http://localhost:8080/?a=1",
        "Downloading https://example.com/data.tar.gz",
        "host: 10.0.0.1",
        "elapsed: 00:01:23",
        "time: 12:30",
        " 45%|████      | 45/100 [00:01<00:02, 30.1it/s]",
        "Running with lr=0.01",
        "Using device: cuda:0",
        "Loaded 50000 images",
        "ERROR: something went wrong",
        "name=resnet50",
        "loss=0.3, model=resnet",
        "1.5=2.0",
        "loss=0.3x",
        "loss=",
        "x" * (MAX_LINE_CHARS + 1) + " loss=1",
        "loss=1 " + "a=1 " * 600,
        "[1/5] Downloading foo: 3.2",
        "[12]\tloss 0.3 and more",
        "Iter(val) [20/79]  time: 0.0302  data_time: 0.0129",
        "Epoch(test) [1][20/79]  time: 0.0302",
        "Test (EMA): [ 390/390]  Loss:  0.4543 (0.4543)",
        "-- Epoch 2",
        "| lr | 0.001 |",  # a box row: only the stream puts a block together
        "1   0.5   0.03s",  # a row of numbers: only a header above names it
        "epoch     train_loss  valid_loss",
        "Iter       Train Loss   Remaining Time",
    ],
)
def test_other_lines_are_refused(line: str) -> None:
    assert parse_line(line) is None


def test_nan_and_inf_are_values() -> None:
    parsed = parse_line("loss=nan grad=inf low=-inf")
    assert parsed is not None
    values = parsed[1]
    assert math.isnan(values["loss"])
    assert values["grad"] == math.inf and values["low"] == -math.inf


def test_overlong_key_is_refused() -> None:
    assert parse_line("k" * 65 + "=1") is None
