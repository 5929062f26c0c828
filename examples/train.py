"""Logistic regression on a synthetic two-moons-like task, tracked with @experiment.

    python examples/train.py --epochs 5
    runar examples/train.py --epochs 5 --lr 0.5

The function's parameters are the command-line options and the run's config;
the returned dict becomes the run's summary.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

import runar


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy interleaved classes with a few polynomial features."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label, 1 - np.cos(angle), np.cos(angle)) + rng.normal(0, 0.2, n)
    y = np.where(label, 0.5 - np.sin(angle), np.sin(angle)) + rng.normal(0, 0.2, n)
    features = np.stack([x, y, x * y, x**2, y**2, np.ones(n)], axis=1)
    return features, label.astype(np.float64)


def loss_and_accuracy(w: np.ndarray, x: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    p = 1 / (1 + np.exp(-x @ w))
    eps = 1e-9
    loss = -np.mean(label * np.log(p + eps) + (1 - label) * np.log(1 - p + eps))
    return float(loss), float(np.mean((p > 0.5) == label))


@runar.experiment
def train(
    lr: float = 0.02,
    epochs: int = 20,
    batch_size: int = 64,
    optimizer: Literal["sgd", "momentum"] = "momentum",
    samples: int = 4000,
    seed: int = 0,
) -> dict[str, float]:
    """Train a logistic regression and log loss/accuracy every epoch."""
    features, label = make_data(samples, seed)
    split = int(0.8 * samples)
    train_x, train_y, val_x, val_y = (
        features[:split],
        label[:split],
        features[split:],
        label[split:],
    )
    rng = np.random.default_rng(seed)
    w = np.zeros(features.shape[1])
    velocity = np.zeros_like(w)
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(split)
        for start in range(0, split, batch_size):
            batch = order[start : start + batch_size]
            p = 1 / (1 + np.exp(-train_x[batch] @ w))
            grad = train_x[batch].T @ (p - train_y[batch]) / len(batch)
            velocity = 0.9 * velocity + grad if optimizer == "momentum" else grad
            w -= lr * velocity
            step += 1
        train_loss, train_acc = loss_and_accuracy(w, train_x, train_y)
        val_loss, val_acc = loss_and_accuracy(w, val_x, val_y)
        runar.log(
            {
                "train/loss": train_loss,
                "train/acc": train_acc,
                "val/loss": val_loss,
                "val/acc": val_acc,
            },
            step=epoch,
        )
        print(f"epoch {epoch}: loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.3f}")
    runar.save("weights", w)
    return {"val_loss": val_loss, "val_acc": val_acc}


if __name__ == "__main__":
    train()
