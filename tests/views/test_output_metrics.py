"""Metrics from a stream of output (views/output_metrics.py): context across lines and chunks."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
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


# printed by a real stable-baselines3 2.9.2 PPO on CartPole (verbose=1, n_steps=256)
SB3_PPO = """\
Using cpu device
Creating environment from the given name 'CartPole-v1'
Wrapping the env with a `Monitor` wrapper
Wrapping the env in a DummyVecEnv.
---------------------------------
| rollout/           |          |
|    ep_len_mean     | 19.2     |
|    ep_rew_mean     | 19.2     |
| time/              |          |
|    fps             | 1068     |
|    iterations      | 1        |
|    time_elapsed    | 0        |
|    total_timesteps | 256      |
---------------------------------
-------------------------------------------
| rollout/                |               |
|    ep_len_mean          | 22.3          |
|    ep_rew_mean          | 22.3          |
| time/                   |               |
|    fps                  | 866           |
|    iterations           | 2             |
|    time_elapsed         | 0             |
|    total_timesteps      | 512           |
| train/                  |               |
|    approx_kl            | 0.00013528485 |
|    clip_fraction        | 0             |
|    clip_range           | 0.2           |
|    entropy_loss         | -0.693        |
|    explained_variance   | 0.00653       |
|    learning_rate        | 0.0003        |
|    loss                 | 35.3          |
|    n_updates            | 2             |
|    policy_gradient_loss | -0.00205      |
|    value_loss           | 73.2          |
-------------------------------------------
"""


def test_stable_baselines3_blocks_are_one_point_at_their_timesteps() -> None:
    found = points(SB3_PPO)
    assert [step for step, _ in found] == [256, 512]
    assert series(found, "rollout/ep_rew_mean") == [(256, 19.2), (512, 22.3)]
    assert series(found, "train/value_loss") == [(512, 73.2)]
    assert series(found, "time/fps") == [(256, 1068.0), (512, 866.0)]
    assert "time/total_timesteps" not in {key for _, values in found for key in values}


def test_a_block_cut_between_chunks_is_still_one_point() -> None:
    cut = SB3_PPO.index("|    fps             | 1068")
    assert points(SB3_PPO[:cut], SB3_PPO[cut:]) == points(SB3_PPO)


# printed by a real scikit-learn 1.9.1 GradientBoostingClassifier(verbose=1, subsample=0.5)
SKLEARN_GB = (
    "      Iter       Train Loss      OOB Improve   Remaining Time \n"
    "         1           1.1535           0.1538            0.05s\n"
    "         2           1.0046           0.1205            0.09s\n"
    "        10           0.4478           0.0391            0.03s\n"
)


def test_rows_of_a_table_are_read_under_its_header_without_the_eta() -> None:
    found = points(SKLEARN_GB)
    assert found == [
        (1, {"train_loss": 1.1535, "oob_improve": 0.1538}),
        (2, {"train_loss": 1.0046, "oob_improve": 0.1205}),
        (10, {"train_loss": 0.4478, "oob_improve": 0.0391}),
    ]


def test_rows_of_numbers_without_a_header_or_of_another_width_give_nothing() -> None:
    rows = "         1           1.1535           0.1538            0.05s\n"
    assert points(rows) == []
    header = "epoch     train_loss  valid_loss  accuracy  time    \n"
    assert points(header, "1  0.5\n") == []


# fastprogress ConsoleMasterBar.write: names padded to 8 and joined by two spaces, each
# cell padded to its name + 2; fastai shows a missing value as #na#
FASTAI = (
    "epoch     train_loss  valid_loss  accuracy  time    \n"
    "0         0.563297    0.409163    0.830000  00:05     \n"
    "1         0.402113    #na#        0.861000  00:05     \n"
)


def test_fastai_rows_skip_the_clock_and_missing_cells() -> None:
    assert points(FASTAI) == [
        (0, {"train_loss": 0.563297, "valid_loss": 0.409163, "accuracy": 0.83}),
        (1, {"train_loss": 0.402113, "accuracy": 0.861}),
    ]


# printed by a real spaCy 3.8.18 `spacy train` (blank en, ner, eval_frequency 20), colours kept
SPACY = (
    "\x1b[38;5;4m\u2139 Initial learn rate: 0.001\x1b[0m\n"
    "E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE \n"
    "---  ------  ------------  --------  ------  ------  ------  ------\n"
    "  0       0          0.00     64.70   25.00   16.67   50.00    0.25\n"
    " 10      20          1.11    756.52  100.00  100.00  100.00    1.00\n"
)


def test_spacy_rows_are_at_their_step_with_the_epoch_a_value() -> None:
    assert points(SPACY) == [
        (
            0,
            {
                "epoch": 0.0,
                "loss_tok2vec": 0.0,
                "loss_ner": 64.7,
                "ents_f": 25.0,
                "ents_p": 16.67,
                "ents_r": 50.0,
                "score": 0.25,
            },
        ),
        (
            20,
            {
                "epoch": 10.0,
                "loss_tok2vec": 1.11,
                "loss_ner": 756.52,
                "ents_f": 100.0,
                "ents_p": 100.0,
                "ents_r": 100.0,
                "score": 1.0,
            },
        ),
    ]


def test_sklearn_sgd_epoch_headers_give_the_step_of_the_lines_below() -> None:
    found = points(
        "-- Epoch 1\n",
        "Norm: 119.47, NNZs: 30, Bias: 6.643213, T: 569, Avg. loss: 3.833543\n",
        "Total training time: 0.00 seconds.\n",
        "-- Epoch 2\n",
        "Norm: 104.87, NNZs: 30, Bias: 13.711817, T: 1138, Avg. loss: 2.105565\n",
    )
    assert series(found, "avg_loss") == [(1, 3.833543), (2, 2.105565)]


# printed by a real LightGBM 4.7.0 (log_evaluation(10), early_stopping(5))
LIGHTGBM = """\
[LightGBM] [Info] Number of positive: 227, number of negative: 173
[LightGBM] [Info] Total Bins 4008
Training until validation scores don't improve for 5 rounds
[10]\tvalid_0's binary_logloss: 0.264968
[20]\tvalid_0's binary_logloss: 0.151411
Early stopping, best iteration is:
[17]\tvalid_0's binary_logloss: 0.149812
"""


def test_lightgbm_rounds_and_the_best_iteration_at_its_own_round() -> None:
    assert series(points(LIGHTGBM), "valid_0_binary_logloss") == [
        (10, 0.264968),
        (20, 0.151411),
        (17, 0.149812),
    ]


# mmengine LogProcessor format strings (epoch-based loop, 391 train batches, 79 val batches)
MMENGINE = """\
2022/08/15 16:47:02 - mmengine - INFO - Epoch(train)  [1][100/391]  lr: 1.0000e-01  eta: 0:25:49  time: 0.0408  data_time: 0.0047  memory: 1164  loss: 2.0548
2022/08/15 16:47:06 - mmengine - INFO - Epoch(train)  [1][200/391]  lr: 1.0000e-01  eta: 0:24:51  time: 0.0406  data_time: 0.0046  memory: 1164  loss: 1.8012
2022/08/15 16:47:10 - mmengine - INFO - Epoch(val)  [1][20/79]    eta: 0:00:01  time: 0.0302  data_time: 0.0129  memory: 1015
2022/08/15 16:47:11 - mmengine - INFO - Epoch(val) [1][79/79]    accuracy/top1: 41.5400  accuracy/top5: 89.1000  data_time: 0.0129  time: 0.0302
2022/08/15 16:47:15 - mmengine - INFO - Epoch(train)  [2][100/391]  lr: 1.0000e-01  eta: 0:23:40  time: 0.0401  data_time: 0.0045  memory: 1164  loss: 1.5021
"""  # noqa: E501


def test_mmengine_steps_run_on_across_epochs_and_validation_ends_its_epoch() -> None:
    found = points(MMENGINE)
    assert series(found, "loss") == [(100, 2.0548), (200, 1.8012), (491, 1.5021)]
    assert series(found, "accuracy/top1") == [(391, 41.54)]
    assert series(found, "memory") == [(100, 1164.0), (200, 1164.0), (491, 1164.0)]


TIMM = """\
Train: 0 [   0/1251 (  0%)]  Loss: 6.912 (6.91)  Time: 2.512s,   50.95/s  (2.512s,   50.95/s)  LR: 1.000e-06  Data: 1.012 (1.012)
Train: 0 [1250/1251 (100%)]  Loss: 6.105 (6.53)  Time: 0.312s,  410.25/s  (0.330s,  387.88/s)  LR: 1.000e-06  Data: 0.002 (0.010)
Test: [   0/390]  Time: 0.686 (0.686)  Loss:  0.4543 (0.4543)  Acc@1: 89.0625 (89.0625)  Acc@5: 98.4375 (98.4375)
Train: 1 [   0/1251 (  0%)]  Loss: 5.912 (5.91)  Time: 0.301s,  425.14/s  (0.301s,  425.14/s)  LR: 2.000e-06  Data: 0.002 (0.002)
"""  # noqa: E501


def test_timm_batches_run_on_across_epochs_and_its_eval_batches_are_left_out() -> None:
    assert series(points(TIMM), "Loss") == [(0, 6.912), (1250, 6.105), (1251, 5.912)]


@pytest.mark.parametrize("text", [NANOGPT, SB3_PPO, MMENGINE], ids=["nanogpt", "sb3", "mmengine"])
@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_any_chunking_gives_the_same_points(text: str, cuts: list[int]) -> None:
    bounds = [0, *sorted(min(c, len(text)) for c in cuts), len(text)]
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    assert points(*chunks) == points(text)


def test_a_box_of_settings_before_training_is_config() -> None:
    found = points("| lr         | 0.001 |\n| batch_size | 32    |\n", "-----\n", SB3_PPO)
    assert "lr" not in {key for _, values in found for key in values}
    assert found[0][0] == 256


def test_a_bare_epoch_header_gives_its_epoch_to_step_less_lines() -> None:
    found = points("Epoch 1\n", "val_loss: 0.5\n", "Epoch 2\n", "val_loss: 0.4\n")
    assert found == [(1, {"val_loss": 0.5}), (2, {"val_loss": 0.4})]
