"""A nanoGPT-style training script that calls wandb, run unchanged under `runar --as wandb`
and, with ``import runar.compat.wandb as wandb``, under plain python."""

# ruff: noqa: E501 - the scripts are nanoGPT's lines, kept as they are

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from runar.store import Store

from ..helpers import artifact_texts, only_record, records, run_script, sdk_points

# nanoGPT's configurator.py, verbatim
CONFIGURATOR = """
import sys
from ast import literal_eval

for arg in sys.argv[1:]:
    if '=' not in arg:
        # assume it's the name of a config file
        assert not arg.startswith('--')
        config_file = arg
        print(f"Overriding config with {config_file}:")
        with open(config_file) as f:
            print(f.read())
        exec(open(config_file).read())
    else:
        # assume it's a --key=value argument
        assert arg.startswith('--')
        key, val = arg.split('=')
        key = key[2:]
        if key in globals():
            try:
                # attempt to eval it it (e.g. if bool, number, or etc)
                attempt = literal_eval(val)
            except (SyntaxError, ValueError):
                # if that goes wrong, just use the string
                attempt = val
            # ensure the types match ok
            assert type(attempt) == type(globals()[key])
            # cross fingers
            print(f"Overriding: {key} = {attempt}")
            globals()[key] = attempt
        else:
            raise ValueError(f"Unknown config key: {key}")
"""

# nanoGPT's train.py, cut down to its config block and its logging (the model is a stand-in)
NANOGPT = """
import math
import time

# -----------------------------------------------------------------------------
# default config values designed to train a gpt2 (124M) on OpenWebText
out_dir = 'out'
eval_interval = 4
log_interval = 1
eval_iters = 2
# wandb logging
wandb_log = False # disabled by default
wandb_project = 'owt'
wandb_run_name = 'gpt2' # 'run' + str(time.time())
# data
dataset = 'openwebtext'
gradient_accumulation_steps = 5 * 8 # used to simulate larger batch sizes
batch_size = 12 # if gradient_accumulation_steps > 1, this is the micro-batch size
block_size = 1024
# model
n_layer = 12
n_head = 12
n_embd = 768
dropout = 0.0 # for pretraining 0 is good, for finetuning try 0.1+
bias = False # do we use bias inside LayerNorm and Linear layers?
# adamw optimizer
learning_rate = 6e-4 # max learning rate
max_iters = 12 # total number of training iterations
# learning rate decay settings
decay_lr = True # whether to decay the learning rate
warmup_iters = 4 # how many steps to warm up for
lr_decay_iters = 12 # should be ~= max_iters per Chinchilla
min_lr = 6e-5 # minimum learning rate, should be ~= learning_rate/10 per Chinchilla
# -----------------------------------------------------------------------------
config_keys = [k for k,v in globals().items() if not k.startswith('_') and isinstance(v, (int, float, bool, str))]
exec(open('configurator.py').read()) # overrides from command line or config file
config = {k: globals()[k] for k in config_keys} # will be useful for logging
# -----------------------------------------------------------------------------

# learning rate decay scheduler (cosine with warmup)
def get_lr(it):
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio)) # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)

def estimate_loss():
    return {'train': 4.0 / (1 + iter_num), 'val': 4.5 / (1 + iter_num)}

# logging
if wandb_log:
    import wandb
    wandb.init(project=wandb_project, name=wandb_run_name, config=config)

iter_num = 0
running_mfu = -1.0
t0 = time.time()
while True:

    # determine and set the learning rate for this iteration
    lr = get_lr(iter_num) if decay_lr else learning_rate

    # evaluate the loss on train/val sets and write checkpoints
    if iter_num % eval_interval == 0:
        losses = estimate_loss()
        print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
        if wandb_log:
            wandb.log({
                "iter": iter_num,
                "train/loss": losses['train'],
                "val/loss": losses['val'],
                "lr": lr,
                "mfu": running_mfu*100, # convert to percentage
            })

    t1 = time.time()
    dt = t1 - t0
    t0 = t1
    if iter_num % log_interval == 0:
        lossf = 4.0 / (1 + iter_num)
        print(f"iter {iter_num}: loss {lossf:.4f}, time {dt*1000:.2f}ms, mfu {running_mfu*100:.2f}%")
    running_mfu = 0.5 if running_mfu == -1.0 else 0.9*running_mfu + 0.1*0.5
    iter_num += 1

    # termination conditions
    if iter_num > max_iters:
        break
"""

STANDALONE = NANOGPT.replace("    import wandb\n", "    import runar.compat.wandb as wandb\n")


def _lr(it: int) -> float:
    if it < 4:
        return 6e-4 * (it + 1) / 5
    coeff = 0.5 * (1.0 + math.cos(math.pi * (it - 4) / 8))
    return 6e-5 + coeff * (6e-4 - 6e-5)


def _mfu(evals: int) -> list[float]:
    """running_mfu*100 at iterations 0, 4, 8, 12, as the script computes it."""
    out, mfu = [], -1.0
    for it in range(13):
        if it % 4 == 0:
            out.append(mfu * 100)
        mfu = 0.5 if mfu == -1.0 else 0.9 * mfu + 0.1 * 0.5
    return out[:evals]


@pytest.fixture
def nanogpt(tmp_path: Path) -> Path:
    (tmp_path / "configurator.py").write_text(CONFIGURATOR)
    return tmp_path


@pytest.mark.parametrize("mode", ["runar --as wandb", "python standalone"])
def test_nanogpt_logs_land_as_config_and_metrics(store: Store, nanogpt: Path, mode: str) -> None:
    as_wandb = mode.startswith("runar")
    done = run_script(
        store,
        nanogpt,
        NANOGPT if as_wandb else STANDALONE,
        "--wandb_log=True",
        "--batch_size=8",
        as_="wandb" if as_wandb else None,
    )
    assert done.returncode == 0, done.stderr
    record = only_record(store)
    assert (record["name"], record["status"]) == ("gpt2", "completed")
    assert record["source"] == ("runner" if as_wandb else "sdk")
    config = record["config"]
    assert config["_wandb"] == {"project": "owt"}
    expected = {"wandb_log": True, "batch_size": 8, "n_layer": 12, "learning_rate": 6e-4}
    assert {k: config[k] for k in expected} == expected
    assert config["out_dir"] == "out" and config["bias"] is False and config["dropout"] == 0.0

    points = sdk_points(store, record["id"])
    assert sorted(points) == ["iter", "lr", "mfu", "train/loss", "val/loss"]
    iters = [0, 4, 8, 12]
    assert points["iter"] == [(step, float(it)) for step, it in enumerate(iters)]
    assert points["train/loss"] == [
        (s, pytest.approx(4.0 / (1 + it))) for s, it in enumerate(iters)
    ]
    assert points["val/loss"] == [(s, pytest.approx(4.5 / (1 + it))) for s, it in enumerate(iters)]
    assert points["lr"] == [(s, pytest.approx(_lr(it))) for s, it in enumerate(iters)]
    assert points["mfu"] == [(s, pytest.approx(m)) for s, m in enumerate(_mfu(4))]


def test_without_the_flag_wandb_is_never_imported(store: Store, nanogpt: Path) -> None:
    done = run_script(store, nanogpt, NANOGPT, as_="wandb")
    assert done.returncode == 0, done.stderr
    record = only_record(store)
    assert "_wandb" not in record["config"]
    assert sdk_points(store, record["id"]) == {}


@pytest.mark.parametrize("env", [{"WANDB_MODE": "disabled"}, {"WANDB_DISABLED": "true"}])
def test_disabled_mode_records_nothing_and_the_script_still_runs(
    store: Store, nanogpt: Path, env: dict[str, str]
) -> None:
    code = STANDALONE + "print('lr from config', wandb.config.learning_rate, wandb.run.name)\n"
    done = run_script(store, nanogpt, code, "--wandb_log=True", env=env)
    assert done.returncode == 0, done.stderr
    assert "lr from config 0.0006 gpt2" in done.stdout
    assert records(store) == []


MEDIA = """
import os
import numpy as np
import wandb

run = wandb.init(project="vision", config={"epochs": 2}, tags=["cnn"], notes="first try",
                 group="ablation", job_type="train", resume="allow", settings=wandb.Settings(start_method="thread"),
                 sync_tensorboard=False, magic_unknown_kwarg=3)
wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch", summary="min")
wandb.watch(object(), log="all", log_freq=10)
for epoch in range(2):
    wandb.log({"epoch": epoch, "val": {"loss": 1.0 - epoch / 4, "acc": 0.5}}, commit=False)
    wandb.log({"samples": [wandb.Image(np.full((4, 6, 3), 200, dtype=np.uint8), caption="x")],
               "weights": wandb.Histogram([0.1, 0.2, 0.2, 0.9], num_bins=4),
               "preds": wandb.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]]),
               "status": "warming up" if epoch == 0 else "steady",
               "nothing": None})
wandb.summary["best_val_loss"] = 0.75
run.summary["ckpt"] = "out/ckpt.pt"
with open("model.bin", "wb") as f:
    f.write(b"weights")
art = wandb.Artifact("model", type="model", metadata={"val_loss": 0.75})
art.add_file("model.bin")
run.log_artifact(art)
os.makedirs("out", exist_ok=True)
with open("out/ckpt.pt", "w") as f:
    f.write("checkpoint")
wandb.save("out/*.pt")
with open(os.path.join(wandb.run.dir, "notes.txt"), "w") as f:
    f.write("written into run.dir")
wandb.finish()
assert wandb.run is None
"""


def test_media_summary_artifacts_and_unknown_keywords(store: Store, tmp_path: Path) -> None:
    done = run_script(store, tmp_path, MEDIA, as_="wandb")
    assert done.returncode == 0, done.stderr
    record = only_record(store)
    config = record["config"]
    assert config["epochs"] == 2
    assert config["_wandb"]["group"] == "ablation" and config["_wandb"]["job_type"] == "train"
    assert config["_wandb"]["magic_unknown_kwarg"] == 3 and config["_wandb"]["resume"] == "allow"
    assert config["_wandb"]["define_metric"] == {
        "epoch": True,
        "val/*": {"step_metric": "epoch", "summary": "min"},
    }
    assert config["_wandb"]["summary"] == {"ckpt": "out/ckpt.pt"}
    assert record["summary"] == {"best_val_loss": 0.75}
    assert record["tags"] == ["cnn"]
    assert [n["text"] for n in record["notes"]] == [
        "first try",
        "status at step 0: warming up",
        "status at step 1: steady",
    ]
    points = sdk_points(store, record["id"])
    assert points == {
        "epoch": [(0, 0.0), (1, 1.0)],
        "val/loss": [(0, 1.0), (1, 0.75)],
        "val/acc": [(0, 0.5), (1, 0.5)],
    }
    texts = artifact_texts(record)
    assert sorted(texts) == [
        "media/preds/0.json",
        "media/preds/1.json",
        "media/samples/0_0.png",
        "media/samples/1_0.png",
        "media/weights/0.json",
        "media/weights/1.json",
        "model/model.bin",
        "notes.txt",
        "out/ckpt.pt",
    ]
    assert '"label"' in texts["media/preds/0.json"] and '"dog"' in texts["media/preds/0.json"]
    counts, bins = np.histogram([0.1, 0.2, 0.2, 0.9], bins=4)
    histogram = json.loads(texts["media/weights/1.json"])
    assert histogram["counts"] == counts.tolist()
    assert histogram["bins"] == pytest.approx(bins.tolist())
    assert texts["model/model.bin"] == "weights" and texts["out/ckpt.pt"] == "checkpoint"
    assert texts["notes.txt"] == "written into run.dir"
    assert texts["media/samples/0_0.png"].startswith("\ufffdPNG")
