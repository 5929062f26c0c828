"""Metrics from a stream of output (views/output_metrics.py): context across lines and chunks."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from runar.events import OutputCaptured, Stream
from runar.views.output_metrics import MAX_HELD_LINES, StreamState, metrics_from_output

Point = tuple[int | None, dict[str, float]]


def points(*chunks: str, stream: Stream = "stdout") -> list[Point]:
    """(step, values) derived from the chunks, fed one output event each."""
    states: dict[str, StreamState] = {}
    found: list[Point] = []
    for seq, chunk in enumerate(chunks, start=1):
        event = OutputCaptured(stream=stream, text=chunk, writer="w", seq=seq, ts=seq * 1000)
        found.extend((m.step, m.values) for m in metrics_from_output(event, states, "seg"))
    return found


def series(found: list[Point], key: str) -> list[tuple[int | None, float]]:
    return [(step, values[key]) for step, values in found if key in values]


NANOGPT = """\
Overriding config with config/train_shakespeare_char.py:
# train a miniature character-level shakespeare model
Overriding: max_iters = 30
Overriding: eval_interval = 10
tokens per iteration will be: 16,384
found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)
Initializing a new model from scratch
number of parameters: 10.65M
num decayed parameter tensors: 26, with 10,740,096 parameters
num non-decayed parameter tensors: 13, with 4,992 parameters
using fused AdamW: False
step 0: train loss 4.2874, val loss 4.2823
iter 0: loss 4.2657, time 13234.12ms, mfu -100.00%
iter 1: loss 3.9712, time 215.77ms, mfu -100.00%
iter 2: loss 3.7006, time 214.09ms, mfu -100.00%
iter 3: loss 3.5226, time 212.63ms, mfu -100.00%
iter 4: loss 3.3722, time 212.57ms, mfu -100.00%
iter 5: loss 4.2367, time 8.80ms, mfu 0.02%
step 10: train loss 3.1221, val loss 3.1440
saving checkpoint to out-shakespeare-char
"""


def test_nanogpt_curves() -> None:
    found = points(NANOGPT)
    assert series(found, "loss") == [
        (0, 4.2657),
        (1, 3.9712),
        (2, 3.7006),
        (3, 3.5226),
        (4, 3.3722),
        (5, 4.2367),
    ]
    assert series(found, "train_loss") == [(0, 4.2874), (10, 3.1221)]
    assert series(found, "val_loss") == [(0, 4.2823), (10, 3.144)]
    assert series(found, "time_ms")[-1] == (5, 8.8)
    assert series(found, "mfu")[-1] == (5, 0.02)
    assert {key for _, values in found for key in values} == {
        "loss",
        "time_ms",
        "mfu",
        "train_loss",
        "val_loss",
    }


HF_STDOUT = """\
{'loss': 2.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}
{'loss': 2.05, 'grad_norm': 1.1, 'learning_rate': 3.3e-05, 'epoch': 1.0}
{'eval_loss': 1.85, 'eval_runtime': 2.13, 'eval_samples_per_second': 201.6, 'epoch': 1.0}
{'loss': 1.9, 'grad_norm': 0.9, 'learning_rate': 1.6e-05, 'epoch': 1.5}
{'train_runtime': 62.52, 'train_samples_per_second': 19.19, 'train_loss': 2.08, 'epoch': 2.0}
***** eval metrics *****
  epoch                   =        2.0
  eval_loss               =     1.8512
  eval_runtime            = 0:00:02.13
"""


def test_hf_trainer_dicts_are_counted_and_keep_their_epoch() -> None:
    found = points(HF_STDOUT)
    assert series(found, "loss") == [(1, 2.31), (2, 2.05), (4, 1.9)]
    assert series(found, "eval_loss")[0] == (3, 1.85)
    assert series(found, "epoch")[:3] == [(1, 0.5), (2, 1.0), (3, 1.0)]
    assert series(found, "train_loss") == [(5, 2.08)]
    assert series(found, "eval_loss")[-1] == (5, 1.8512)  # log_metrics: at the latest step


# printed by a real transformers 5.24 Trainer (tiny BERT, CPU): values come as strings
HF5_STDOUT = (Path(__file__).parent / "data" / "transformers5_trainer_stdout.txt").read_text()


def test_transformers_5_prints_its_log_values_as_strings() -> None:
    found = points(HF5_STDOUT)
    assert series(found, "loss") == [(1, 0.6939), (2, 0.6964), (4, 0.686), (5, 0.6879)]
    assert series(found, "eval_loss") == [(3, 0.6867), (6, 0.684), (7, 0.684)]
    assert series(found, "train_loss") == [(7, 0.691)]


def test_a_config_dict_printed_before_training_is_not_a_metric() -> None:
    found = points("{'lr': 0.001, 'batch_size': 32}\n", HF_STDOUT)
    assert "lr" not in {key for _, values in found for key in values}
    assert series(found, "loss")[0] == (1, 2.31)


def test_tqdm_refreshes_between_trainer_dicts_leave_the_dicts_whole() -> None:
    # tqdm.write() clears the bar with \r, prints the dict, then redraws the bar
    bar = "\r 10%|█         | 50/500 [00:10<01:30,  4.92it/s]"
    chunk = f"{bar}\r{' ' * 50}\r{{'loss': 2.31, 'epoch': 0.1}}\n{bar}"
    assert points(chunk) == [(1, {"loss": 2.31, "epoch": 0.1})]


WORD_LM = """\
| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 12.30 | loss  7.63 | ppl  2061.05
| epoch   1 |   400/ 2983 batches | lr 20.00 | ms/batch 11.90 | loss  6.85 | ppl   945.13
-----------------------------------------------------------------------------------------
| end of epoch   1 | time: 30.12s | valid loss  5.72 | valid ppl   305.35
-----------------------------------------------------------------------------------------
| epoch   2 |   200/ 2983 batches | lr 20.00 | ms/batch 12.10 | loss  5.91 | ppl   368.70
-----------------------------------------------------------------------------------------
| end of epoch   2 | time: 29.80s | valid loss  5.48 | valid ppl   239.85
-----------------------------------------------------------------------------------------
=========================================================================================
| End of training | test loss  5.41 | test ppl   223.64
=========================================================================================
"""


def test_word_language_model_steps_run_on_across_epochs() -> None:
    found = points(WORD_LM)
    assert series(found, "loss") == [(200, 7.63), (400, 6.85), (3183, 5.91)]
    assert series(found, "valid_loss") == [(2983, 5.72), (5966, 5.48)]
    assert series(found, "ppl")[0] == (200, 2061.05)
    assert series(found, "ms/batch")[0] == (200, 12.3)
    assert series(found, "time_s") == [(2983, 30.12), (5966, 29.8)]
    assert series(found, "test_loss") == [(5966, 5.41)]


KERAS_BAR = (
    "1875/1875 [==============================] - 4s 2ms/step - loss: {:.4f} - accuracy: {:.4f}"
)


def test_keras_epochs_take_their_step_from_the_header_and_the_last_refresh_wins() -> None:
    chunks = []
    for epoch, (loss, acc) in enumerate([(0.45, 0.82), (0.31, 0.88)], start=1):
        chunks.append(f"Epoch {epoch}/2\n")
        early = KERAS_BAR.replace("1875/1875", " 100/1875").format(loss * 2, acc / 2)
        chunks.append(f"{early}\b\b\b\r{KERAS_BAR.format(loss, acc)}\n")
    found = points(*chunks)
    assert series(found, "loss") == [(1, 0.45), (2, 0.31)]
    assert series(found, "accuracy") == [(1, 0.82), (2, 0.88)]


def test_tqdm_postfix_last_refresh_wins() -> None:
    refreshes = [
        f"\rEpoch 3: {p:3d}%|███| {n}/50 [00:01<00:00, loss={loss}, acc=0.9]"
        for p, n, loss in [(10, 5, 0.9), (50, 25, 0.5), (100, 50, 0.31)]
    ]
    assert points(*refreshes, "\n", stream="stderr") == [(3, {"loss": 0.31, "acc": 0.9})]


def test_step_less_lines_become_metrics_once_they_change() -> None:
    found = points("loss=0.5, acc=0.8\n", "loss=0.4, acc=0.8\n", "loss=0.3, acc=0.9\n")
    assert series(found, "loss") == [(None, 0.5), (None, 0.4), (None, 0.3)]
    assert series(found, "acc") == [(None, 0.8), (None, 0.8), (None, 0.9)]


def test_settings_before_the_first_progress_line_are_config() -> None:
    found = points(
        "batch_size = 12\n",
        "n_layer = 6\n",
        "dropout: 0.2\n",
        "Epoch 1: loss=0.5\n",
        "Epoch 2: loss=0.4\n",
        "dropout: 0.2\n",
    )
    assert found == [(1, {"loss": 0.5}), (2, {"loss": 0.4}), (2, {"dropout": 0.2})]


def test_a_changing_value_before_any_step_is_kept_with_its_line() -> None:
    found = points(
        "warmup lr=0.0001 scale=2.0\n", "warmup lr=0.0002 scale=2.0\n", "step 1: loss 0.9\n"
    )
    assert found == [(1, {"loss": 0.9})]  # "warmup lr=..." is a sentence, never a report
    found = points("lr=0.0001, scale=2.0\n", "lr=0.0002, scale=2.0\n", "step 1: loss 0.9\n")
    assert found == [
        (None, {"lr": 0.0001, "scale": 2.0}),
        (None, {"lr": 0.0002, "scale": 2.0}),
        (1, {"loss": 0.9}),
    ]


def test_held_lines_are_bounded() -> None:
    found = points(*("loss = 1.0\n" for _ in range(MAX_HELD_LINES + 1)))
    assert len(found) == 0  # a constant printed forever is still not a curve
    found = points(*(f"loss_{i} = 1.0\n" for i in range(MAX_HELD_LINES + 2)))
    assert found[-1] == (None, {f"loss_{MAX_HELD_LINES + 1}": 1.0})


def test_streams_keep_their_own_context() -> None:
    states: dict[str, StreamState] = {}
    header = OutputCaptured(stream="stdout", text="Epoch 4/9\n", writer="w", seq=1, ts=1)
    bar = OutputCaptured(stream="stderr", text="9/9 - 1s - loss: 0.3\n", writer="w", seq=2, ts=2)
    assert metrics_from_output(header, states, "s") == []
    assert [m.step for m in metrics_from_output(bar, states, "s")] == [None]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(NANOGPT)), max_size=12))
def test_any_chunking_gives_the_same_points(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(NANOGPT)]
    chunks = [NANOGPT[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    assert points(*chunks) == points(NANOGPT)
