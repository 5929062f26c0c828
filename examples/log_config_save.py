"""The three calls most scripts need: config(), log() and save().

    python examples/log_config_save.py      # a run of its own, finished at exit
    runar examples/log_config_save.py       # the same calls land in the runner's run

Fits a linear regression with mini-batch SGD in numpy.
"""

from __future__ import annotations

import numpy as np

from runar import config, log, save, tag

params = {"lr": 0.05, "epochs": 30, "batch_size": 32, "model": {"features": 8, "noise": 0.3}}
config(params)
tag("example", "linear")

rng = np.random.default_rng(1)
true_w = rng.normal(size=params["model"]["features"])
x = rng.normal(size=(2000, params["model"]["features"]))
y = x @ true_w + rng.normal(0, params["model"]["noise"], size=2000)

w = np.zeros_like(true_w)
for epoch in range(params["epochs"]):
    for start in range(0, len(x), params["batch_size"]):
        xb, yb = x[start : start + params["batch_size"]], y[start : start + params["batch_size"]]
        w -= params["lr"] * 2 * xb.T @ (xb @ w - yb) / len(xb)
    mse = float(np.mean((x @ w - y) ** 2))
    log({"mse": mse, "weight_error": float(np.linalg.norm(w - true_w))}, step=epoch)
    print(f"epoch {epoch}: mse={mse:.4f}")

save("weights", w)  # a numpy array → weights.npy
save("fit.json", {"true_w": true_w.tolist(), "w": w.tolist()})
