"""A character-level GPT trainer written the way nanoGPT's train.py is: module-level config,
overridden by `--key=value` arguments through an exec'd configurator, iter/step prints."""

import json
import math
import os
import sys
import time
from ast import literal_eval

# -----------------------------------------------------------------------------
# default config values designed to train a gpt2 (124M) on OpenWebText
out_dir = "out"
eval_interval = 2000
log_interval = 1
eval_iters = 200
batch_size = 12
block_size = 1024
n_layer = 12
n_head = 12
n_embd = 768
dropout = 0.0
learning_rate = 6e-4
max_iters = 600000
compile = True
# -----------------------------------------------------------------------------
config_keys = [
    k
    for k, v in globals().items()
    if not k.startswith("_") and isinstance(v, (int, float, bool, str))
]
# configurator.py, verbatim in spirit: every --key=value overrides a global
for arg in sys.argv[1:]:
    if "=" not in arg:
        assert not arg.startswith("--")
        print(f"Overriding config with {arg}:")
    else:
        assert arg.startswith("--")
        key, val = arg.split("=")
        key = key[2:]
        if key in globals():
            try:
                attempt = literal_eval(val)
            except (SyntaxError, ValueError):
                attempt = val
            assert type(attempt) == type(globals()[key])
            print(f"Overriding: {key} = {attempt}")
            globals()[key] = attempt
        else:
            raise ValueError(f"Unknown config key: {key}")
config = {k: globals()[k] for k in config_keys}
# -----------------------------------------------------------------------------

tokens_per_iter = batch_size * block_size
print(f"tokens per iteration will be: {tokens_per_iter:,}")
print("found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)")
print("Initializing a new model from scratch")
print(f"number of parameters: {n_layer * n_embd * n_embd * 12 / 1e6:.2f}M")
print("num decayed parameter tensors: 26, with 10,740,096 parameters")
print(f"using fused AdamW: {compile}")

truth = {"loss": [], "train_loss": [], "val_loss": []}


def loss_at(it, split=""):
    """A deterministic stand-in for the model's loss: decays with the learning rate."""
    noise = 0.01 * math.sin(it * 1.7 + len(split))
    return 4.2 * math.exp(-learning_rate * 500 * it / max_iters) + 0.5 + noise


iter_num = 0
t0 = time.time()
running_mfu = -1.0
while True:
    if iter_num % eval_interval == 0:
        losses = {"train": loss_at(iter_num, "train"), "val": loss_at(iter_num, "val")}
        print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
        truth["train_loss"].append([iter_num, round(losses["train"], 4)])
        truth["val_loss"].append([iter_num, round(losses["val"], 4)])
    t1 = time.time()
    dt = t1 - t0
    t0 = t1
    if iter_num % log_interval == 0:
        lossf = loss_at(iter_num)
        if iter_num >= 5:
            running_mfu = 0.0002 if running_mfu == -1.0 else 0.9 * running_mfu + 0.1 * 0.0002
        print(
            f"iter {iter_num}: loss {lossf:.4f}, time {dt * 1000:.2f}ms, mfu {running_mfu * 100:.2f}%"
        )
        truth["loss"].append([iter_num, round(lossf, 4)])
    iter_num += 1
    if iter_num > max_iters:
        break

with open(os.environ["TRUTH_FILE"], "w") as fh:
    json.dump(truth, fh)
