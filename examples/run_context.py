"""`with Run(...)`: one run per learning rate, a tiny sweep in one script.

Each `Run` is its own run; under `runar` each is also linked to the runner's run
(`parent_run`). An exception inside a `with Run` marks that run failed, with the reason.
"""

from __future__ import annotations

import math
import random

from runar import Run


def fit(run: Run, lr: float, epochs: int = 25) -> float:
    """Minimize a noisy quadratic bowl with SGD; return the final loss."""
    rng = random.Random(42)
    x, y = 3.0, -2.0
    loss = math.inf
    for epoch in range(epochs):
        gx, gy = 2 * x + rng.gauss(0, 0.1), 8 * y + rng.gauss(0, 0.1)
        x, y = x - lr * gx, y - lr * gy
        loss = x * x + 4 * y * y
        run.log({"loss": loss, "x": x, "y": y}, step=epoch)
    return loss


for lr in (0.01, 0.05, 0.1):
    with Run(f"bowl-lr{lr}", config={"lr": lr}, tags=["sweep"]) as run:
        final = fit(run, lr)
        run.note(f"final loss {final:.4g}")
        print(f"lr={lr}: final loss={final:.4g}")
