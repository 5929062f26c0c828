"""Verbatim lines printed by popular training code, with what each line reports on its own.

Each entry: (where the line comes from, the line, (step, values) or None). The step is
the line's own; context from the lines around it (an epoch header, a dict counter, the
batches per epoch, config held back before training) is tested in test_output_metrics.py.
"""

from __future__ import annotations

Expected = tuple[int | None, dict[str, float]] | None

CORPUS: list[tuple[str, str, Expected]] = [
    # karpathy/nanoGPT train.py (+ configurator.py)
    (
        "nanoGPT",
        "iter 0: loss 4.2657, time 13234.12ms, mfu -100.00%",
        (0, {"loss": 4.2657, "time_ms": 13234.12, "mfu": -100.0}),
    ),
    (
        "nanoGPT",
        "iter 5: loss 4.2367, time 8.80ms, mfu 0.02%",
        (5, {"loss": 4.2367, "time_ms": 8.8, "mfu": 0.02}),
    ),
    (
        "nanoGPT",
        "step 20: train loss 3.8580, val loss 4.0183",
        (20, {"train_loss": 3.858, "val_loss": 4.0183}),
    ),
    ("nanoGPT", "Overriding config with config/train_shakespeare_char.py:", None),
    ("nanoGPT", "Overriding: max_iters = 2000", None),
    ("nanoGPT", "Overriding: batch_size = 12", None),
    ("nanoGPT", "tokens per iteration will be: 16,384", None),
    ("nanoGPT", "found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)", None),
    ("nanoGPT", "Initializing a new model from scratch", None),
    ("nanoGPT", "number of parameters: 10.65M", None),
    ("nanoGPT", "num decayed parameter tensors: 26, with 10,740,096 parameters", None),
    ("nanoGPT", "using fused AdamW: True", None),
    ("nanoGPT", "saving checkpoint to out-shakespeare-char", None),
    # huggingface/transformers Trainer (ProgressCallback.on_log, log_metrics)
    (
        "HF Trainer",
        "{'loss': 2.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}",
        (None, {"loss": 2.31, "grad_norm": 1.2, "learning_rate": 5e-05, "epoch": 0.5}),
    ),
    (
        "HF Trainer",
        "{'eval_loss': 1.8512, 'eval_runtime': 2.1324, 'eval_samples_per_second': 201.652, "
        "'eval_steps_per_second': 25.324, 'epoch': 1.0}",
        (
            None,
            {
                "eval_loss": 1.8512,
                "eval_runtime": 2.1324,
                "eval_samples_per_second": 201.652,
                "eval_steps_per_second": 25.324,
                "epoch": 1.0,
            },
        ),
    ),
    (
        "HF Trainer",
        "{'train_runtime': 62.5216, 'train_samples_per_second': 19.193, "
        "'train_steps_per_second': 2.399, 'train_loss': 1.9637, 'epoch': 3.0}",
        (
            None,
            {
                "train_runtime": 62.5216,
                "train_samples_per_second": 19.193,
                "train_steps_per_second": 2.399,
                "train_loss": 1.9637,
                "epoch": 3.0,
            },
        ),
    ),
    (
        "HF Trainer (transformers 5)",
        "{'loss': '0.6939', 'grad_norm': '0.3438', 'learning_rate': '0.0008125', 'epoch': '0.5'}",
        (None, {"loss": 0.6939, "grad_norm": 0.3438, "learning_rate": 0.0008125, "epoch": 0.5}),
    ),
    (
        "HF Trainer (transformers 5)",
        "{'eval_loss': '0.6867', 'eval_runtime': '0.0111', 'eval_samples_per_second': '1442', "
        "'eval_steps_per_second': '180.2', 'epoch': '1'}",
        (
            None,
            {
                "eval_loss": 0.6867,
                "eval_runtime": 0.0111,
                "eval_samples_per_second": 1442.0,
                "eval_steps_per_second": 180.2,
                "epoch": 1.0,
            },
        ),
    ),
    ("printed dict of settings, quoted", "{'model': 'gpt2', 'lr': '0.001'}", None),
    ("HF Trainer", " 33%|███▎      | 50/150 [00:10<00:20,  4.92it/s]", None),
    ("HF Trainer", "***** Running training *****", None),
    ("HF Trainer", "  Num examples = 1,000", None),
    ("HF Trainer", "  Total optimization steps = 375", None),
    ("HF Trainer", "  eval_loss               =     1.8512", (None, {"eval_loss": 1.8512})),
    ("HF Trainer", "  eval_runtime            = 0:00:02.13", None),
    (
        "HF examples logging",
        "12/02/2026 10:00:01 - INFO - __main__ - Training/evaluation parameters",
        None,
    ),
    # pytorch/examples word_language_model/main.py
    (
        "word LM",
        "| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 12.30 | loss  7.63 | ppl  2061.05",
        (None, {"lr": 20.0, "ms/batch": 12.3, "loss": 7.63, "ppl": 2061.05}),
    ),
    (
        "word LM",
        "| end of epoch   1 | time: 30.12s | valid loss  5.72 | valid ppl   305.35",
        (1, {"time_s": 30.12, "valid_loss": 5.72, "valid_ppl": 305.35}),
    ),
    (
        "word LM",
        "| End of training | test loss  5.61 | test ppl   273.59",
        (None, {"test_loss": 5.61, "test_ppl": 273.59}),
    ),
    ("word LM", "-" * 89, None),
    ("word LM", "=" * 89, None),
    # pytorch/examples mnist/main.py
    ("MNIST", "Train Epoch: 1 [640/60000 (1%)]\tLoss: 1.686537", (None, {"Loss": 1.686537})),
    ("MNIST", "Test set: Average loss: 0.0504, Accuracy: 9838/10000 (98%)", None),
    # Keras model.fit: 2.x and 3.x progress bars, verbose=2, the epoch header
    ("Keras", "Epoch 3/10", None),
    (
        "Keras 2",
        "1875/1875 [==============================] - 4s 2ms/step - loss: 0.4521 - "
        "accuracy: 0.8234 - val_loss: 0.1395 - val_accuracy: 0.9588",
        (None, {"loss": 0.4521, "accuracy": 0.8234, "val_loss": 0.1395, "val_accuracy": 0.9588}),
    ),
    (
        "Keras 3",
        "1875/1875 ━━━━━━━━━━━━━━━━━━━━ 4s 2ms/step - accuracy: 0.8784 - loss: 0.4275 - "
        "val_accuracy: 0.9566 - val_loss: 0.1459",
        (None, {"accuracy": 0.8784, "loss": 0.4275, "val_accuracy": 0.9566, "val_loss": 0.1459}),
    ),
    (
        "Keras verbose=2",
        "1875/1875 - 4s - loss: 0.2598 - accuracy: 0.9253 - 4s/epoch - 2ms/step",
        (None, {"loss": 0.2598, "accuracy": 0.9253}),
    ),
    # tqdm set_postfix, Lightning's bar
    (
        "tqdm",
        "100%|███| 50/50 [00:01<00:00, loss=0.31, acc=0.9]",
        (None, {"loss": 0.31, "acc": 0.9}),
    ),
    (
        "tqdm",
        "Epoch 3: 100%|██████████| 50/50 [00:01<00:00, 38.61it/s, loss=0.31, acc=0.9]",
        (3, {"loss": 0.31, "acc": 0.9}),
    ),
    (
        "Lightning",
        "Epoch 0: 100%|██████████| 938/938 [00:12<00:00, 75.43it/s, v_num=0, train_loss=0.312]",
        (0, {"v_num": 0.0, "train_loss": 0.312}),
    ),
    (
        "Lightning rich bar",
        "Epoch 2/2  ━━━━━━━━━━━━━━━━━ 8/8 0:00:00 • 0:00:00 253.65it/s train_loss: 0.001 ",
        (2, {"train_loss": 0.001}),
    ),
    (
        "Lightning rich bar, wrapped",
        "                 val_loss: 0.001   ",
        (None, {"val_loss": 0.001}),
    ),
    # fairseq train.py epoch summary
    (
        "fairseq",
        "epoch 001 | loss 4.321 | ppl 19.99 | wps 12345 | ups 3.2 | wpb 2048 | bsz 64 | "
        "num_updates 100 | lr 0.0005 | gnorm 1.234 | train_wall 30 | wall 31",
        (1, {"loss": 4.321, "ppl": 19.99, "ups": 3.2, "lr": 0.0005, "gnorm": 1.234}),
    ),
    # the logging module in front of a report
    ("logging", "2024-01-15 12:30:45,123 - __main__ - INFO - epoch 3 loss=0.3", (3, {"loss": 0.3})),
    ("logging", "INFO:__main__:epoch 3, loss=0.3", (3, {"loss": 0.3})),
    ("logging", "WARNING: lr=0.1 is large", None),
    # settings printed before training: never metrics
    ("argparse", "Namespace(lr=0.001, batch_size=32, epochs=10, seed=1, model='gpt')", None),
    ("printed dict of settings", "{'lr': 0.001, 'batch_size': 32, 'model': 'gpt2'}", None),
    ("HF TrainingArguments", "TrainingArguments(output_dir='out', learning_rate=5e-05)", None),
    # XGBoost 3.2.0, real run (sklearn API with eval_set; xgb.train; xgb.cv): one line a round
    (
        "XGBoost",
        "[3]\tvalidation_0-logloss:0.18160\tvalidation_0-error:0.00939"
        "\tvalidation_1-logloss:0.21618\tvalidation_1-error:0.02797",
        (
            3,
            {
                "validation_0-logloss": 0.1816,
                "validation_0-error": 0.00939,
                "validation_1-logloss": 0.21618,
                "validation_1-error": 0.02797,
            },
        ),
    ),
    (
        "XGBoost",
        "[10]\ttrain-rmse:47.32773\teval-rmse:56.47112",
        (10, {"train-rmse": 47.32773, "eval-rmse": 56.47112}),
    ),
    (
        "xgboost.cv",
        "[1]\ttrain-rmse:60.76168+0.89548\ttest-rmse:64.14805+1.74024",
        (
            1,
            {
                "train-rmse-mean": 60.76168,
                "train-rmse-std": 0.89548,
                "test-rmse-mean": 64.14805,
                "test-rmse-std": 1.74024,
            },
        ),
    ),
    # LightGBM 4.7.0, real run (sklearn API, lgb.train, lgb.cv with log_evaluation/early_stopping)
    (
        "LightGBM",
        "[10]\tvalid_0's binary_logloss: 0.264968",
        (10, {"valid_0_binary_logloss": 0.264968}),
    ),
    (
        "LightGBM",
        "[2]\tvalid_0's l1: 58.7888\tvalid_0's l2: 4837.69\tvalid_1's l1: 59.6632"
        "\tvalid_1's l2: 4841.62",
        (
            2,
            {
                "valid_0_l1": 58.7888,
                "valid_0_l2": 4837.69,
                "valid_1_l1": 59.6632,
                "valid_1_l2": 4841.62,
            },
        ),
    ),
    (
        "LightGBM",
        "[3]\ttrain's l2: 4404.95\tvalid's l2: 4490.05",
        (3, {"train_l2": 4404.95, "valid_l2": 4490.05}),
    ),
    (
        "lightgbm.cv",
        "[2]\tvalid's l2: 5118.24 + 708.409",
        (2, {"valid_l2-mean": 5118.24, "valid_l2-stdv": 708.409}),
    ),
    ("LightGBM", "Training until validation scores don't improve for 5 rounds", None),
    ("LightGBM", "Did not meet early stopping. Best iteration is:", None),
    ("LightGBM", "[LightGBM] [Info] Number of positive: 227, number of negative: 173", None),
    ("LightGBM", "[LightGBM] [Info] Total Bins 4008", None),
    (
        "LightGBM",
        "[LightGBM] [Info] Number of data points in the train set: 400, "
        "number of used features: 30",
        None,
    ),
    (
        "LightGBM",
        "[LightGBM] [Info] [binary:BoostFromScore]: pavg=0.567500 -> initscore=0.271658",
        None,
    ),
    ("LightGBM", "[LightGBM] [Info] Start training from score 0.271658", None),
    (
        "LightGBM",
        "[LightGBM] [Warning] No further splits with positive gain, best gain: -inf",
        None,
    ),
    # CatBoost 1.2.10, real run: total (elapsed) and remaining (ETA) change unit as time goes on
    (
        "CatBoost",
        "15:\tlearn: 35.3529200\ttest: 53.0650447\tbest: 52.5709798 (13)\ttotal: 33.1ms"
        "\tremaining: 28.9ms",
        (15, {"learn": 35.35292, "test": 53.0650447, "best": 52.5709798}),
    ),
    (
        "CatBoost",
        "200:\tlearn: 0.1539872\ttest: 0.1366794\tbest: 0.1366794 (200)\ttotal: 1m 55s"
        "\tremaining: 1m 54s",
        (200, {"learn": 0.1539872, "test": 0.1366794, "best": 0.1366794}),
    ),
    (
        "CatBoost",
        "2:\tlearn: 52.9311271\ttotal: 6.04ms\tremaining: 0us",
        (2, {"learn": 52.9311271}),
    ),
    ("CatBoost", "Learning rate set to 0.25723", None),
    ("CatBoost", "Stopped by overfitting detector  (2 iterations wait)", None),
    ("CatBoost", "Shrink model to first 14 iterations.", None),
    ("CatBoost", "bestTest = 0.1493991515", (None, {"bestTest": 0.1493991515})),
    # scikit-learn 1.9.1 verbose, real run: MLP, SGD, (Hist)GradientBoosting
    ("sklearn MLP", "Iteration 2, loss = 0.49767917", (2, {"loss": 0.49767917})),
    ("sklearn MLP", "Validation score: 0.947368", (None, {"validation_score": 0.947368})),
    ("sklearn SGD", "-- Epoch 1", None),
    (
        "sklearn SGD",
        "Norm: 119.47, NNZs: 30, Bias: 6.643213, T: 569, Avg. loss: 3.833543, Objective: 4.890297",
        (
            None,
            {
                "Norm": 119.47,
                "NNZs": 30.0,
                "Bias": 6.643213,
                "T": 569.0,
                "avg_loss": 3.833543,
                "Objective": 4.890297,
            },
        ),
    ),
    ("sklearn SGD", "Total training time: 0.00 seconds.", None),
    ("sklearn GradientBoosting", "      Iter       Train Loss   Remaining Time ", None),
    ("sklearn GradientBoosting", "         1           1.1461            0.02s", None),
    (
        "sklearn HistGradientBoosting",
        "[2/3] 1 tree, 10 leaves, max depth = 5, train loss: 0.51491, val loss: 0.53459, in 0.082s",
        (2, {"train_loss": 0.51491, "val_loss": 0.53459}),
    ),
    ("sklearn HistGradientBoosting", "Binning 0.000 GB of training data: 0.120 s", None),
    ("sklearn HistGradientBoosting", "Fit 3 trees in 0.310 s, (40 total leaves)", None),
    ("sklearn HistGradientBoosting", "Time spent computing histograms: 0.029s", None),
    # stable-baselines3 2.9.2, real run (PPO, DQN, EvalCallback): a block is one point, made
    # by the stream (test_output_metrics.py); a row alone says nothing
    ("SB3", "| rollout/           |          |", None),
    ("SB3", "|    ep_rew_mean     | 18.2     |", None),
    ("SB3", "---------------------------------", None),
    ("SB3", "Eval num_timesteps=128, episode_reward=293.00 +/- 207.00", None),
    ("SB3", "Episode length: 293.00 +/- 207.00", None),
    ("SB3", "New best mean reward!", None),
    ("SB3", "Using cpu device", None),
    # fastai (fastprogress ConsoleMasterBar.write format): a header, then rows the stream reads
    ("fastai", "epoch     train_loss  valid_loss  accuracy  time    ", None),
    ("fastai", "0         0.563297    0.409163    0.830000  00:05     ", None),
    # spaCy 3.8.18 `spacy train`, real run: the stream reads rows under the header
    ("spaCy", "\x1b[38;5;4m\u2139 Initial learn rate: 0.001\x1b[0m", None),
    ("spaCy", "E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE ", None),
    ("spaCy", "---  ------  ------------  --------  ------  ------  ------  ------", None),
    ("spaCy", " 10      20          1.11    756.52  100.00  100.00  100.00    1.00", None),
    # timm train.py (format string in train_one_epoch / validate)
    (
        "timm",
        "Train: 3 [ 150/1251 ( 12%)]  Loss: 6.912 (6.93)  Time: 0.512s,  250.11/s  "
        "(0.530s,  241.51/s)  LR: 1.000e-05  Data: 0.012 (0.020)",
        (None, {"Loss": 6.912, "Time_s": 0.512, "LR": 1e-05, "Data": 0.012}),
    ),
    (
        "timm eval batches: names collide with the train ones",
        "Test: [   0/390]  Time: 0.686 (0.686)  Loss:  0.4543 (0.4543)  "
        "Acc@1: 89.0625 (89.0625)  Acc@5: 98.4375 (98.4375)",
        None,
    ),
    # detectron2 CommonMetricPrinter (format string in utils/events.py, colour prefix)
    (
        "detectron2",
        "[02/15 10:00:00 d2.utils.events]:  eta: 0:10:12  iter: 19  total_loss: 1.234  "
        "loss_cls: 0.6  loss_box_reg: 0.3  time: 0.4567  data_time: 0.0123  lr: 0.00039962  "
        "max_mem: 2345M",
        (
            19,
            {
                "total_loss": 1.234,
                "loss_cls": 0.6,
                "loss_box_reg": 0.3,
                "time": 0.4567,
                "data_time": 0.0123,
                "lr": 0.00039962,
            },
        ),
    ),
    # mmengine LogProcessor (format strings in runner/log_processor.py, MMLogger prefix)
    (
        "mmengine",
        "2022/08/15 16:47:02 - mmengine - INFO - Epoch(train)  [1][ 10/391]  lr: 1.0000e-01  "
        "eta: 0:14:25  time: 0.2218  data_time: 0.0039  memory: 1015  loss: 2.5430",
        (
            None,
            {"lr": 0.1, "time": 0.2218, "data_time": 0.0039, "memory": 1015.0, "loss": 2.543},
        ),
    ),
    (
        "mmengine",
        "2022/08/15 16:50:02 - mmengine - INFO - Epoch(val) [1][79/79]    accuracy/top1: 41.5400  "
        "accuracy/top5: 89.1000  data_time: 0.0129  time: 0.0302",
        (
            1,
            {"accuracy/top1": 41.54, "accuracy/top5": 89.1, "data_time": 0.0129, "time": 0.0302},
        ),
    ),
    (
        "mmengine eval batches",
        "2022/08/15 16:50:01 - mmengine - INFO - Epoch(val)  [1][20/79]    eta: 0:00:01  "
        "time: 0.0302  data_time: 0.0129  memory: 1015",
        None,
    ),
    (
        "mmengine",
        "2022/08/15 16:47:02 - mmengine - INFO - Iter(train) [  50/1000]  lr: 1.0000e-01  "
        "eta: 0:25:49  time: 0.0408  data_time: 0.0047  memory: 1164  loss: 2.0548",
        (50, {"lr": 0.1, "time": 0.0408, "data_time": 0.0047, "memory": 1164.0, "loss": 2.0548}),
    ),
    # runar's README
    ("README", "Epoch 3: loss=0.4521, acc=0.8234", (3, {"loss": 0.4521, "acc": 0.8234})),
    ("README", "step 10 | loss 0.31", (10, {"loss": 0.31})),
    ("README", "loss: 0.31 (step)", (None, {"loss": 0.31})),
    ("README", "loss: 0.31 (step 10)", (10, {"loss": 0.31})),
    # one unreadable part does not throw away the rest of a progress line
    (
        "mixed",
        "step 7: loss 0.52, lr warmup, grad_norm 1.30",
        (7, {"loss": 0.52, "grad_norm": 1.3}),
    ),
]
