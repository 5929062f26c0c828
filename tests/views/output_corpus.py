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
