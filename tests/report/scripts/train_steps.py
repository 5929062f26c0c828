"""A small logistic regression recorded the way users write it: steps, metrics, an image, a note."""

import argparse

import numpy as np
from PIL import Image

import runar

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.5)
parser.add_argument("--fail", action="store_true", help="diverge and raise during training")
args = parser.parse_args()
rng = np.random.default_rng(0)
runar.config({"lr": args.lr, "epochs": 30, "model": {"name": "logreg", "features": 8}})

with runar.step("prepare data"):
    x = rng.normal(size=(400, 8))
    w_true = rng.normal(size=8)
    y = (x @ w_true + 0.3 * rng.normal(size=400) > 0).astype(float)
    x_train, y_train, x_val, y_val = x[:300], y[:300], x[300:], y[300:]

w = np.zeros(8)
with runar.step("train"):
    for epoch in range(30):
        p = 1 / (1 + np.exp(-(x_train @ w)))
        loss = -np.mean(y_train * np.log(p + 1e-9) + (1 - y_train) * np.log(1 - p + 1e-9))
        w -= args.lr * x_train.T @ (p - y_train) / len(y_train)
        pv = 1 / (1 + np.exp(-(x_val @ w)))
        val_loss = -np.mean(y_val * np.log(pv + 1e-9) + (1 - y_val) * np.log(1 - pv + 1e-9))
        runar.log({"train/loss": loss, "val/loss": val_loss, "acc": np.mean((pv > 0.5) == y_val)})
        if args.fail and epoch == 10:
            raise FloatingPointError(f"val/loss diverged at epoch {epoch}")

with runar.step("evaluate"):
    weights = np.abs(w) / np.abs(w).max()
    pixels = (np.outer(weights, weights) * 255).astype(np.uint8).repeat(16, 0).repeat(16, 1)
    runar.save("weights_heatmap", Image.fromarray(pixels))
    runar.note("validation accuracy is close to the noise ceiling")
