"""Boosting rounds printed the way XGBoost's EvaluationMonitor (verbose_eval) and CatBoost
print them, one line a round, tab separated. Writes what it printed to TRUTH_FILE as
{key: [[round, value], ...]}."""

import json
import os

truth: dict[str, list[list[float]]] = {}
print("[LightGBM] [Info] Total Bins 4008")  # library chatter around the rounds: no metric
for i in range(0, 20):
    train, valid = 67.6 * 0.9**i, 68.7 * 0.93**i
    if i % 5 == 0 or i == 19:  # verbose_eval=5 prints every 5th round and the last
        print(f"[{i}]\ttrain-rmse:{train:.5f}\teval-rmse:{valid:.5f}", flush=True)
        truth.setdefault("train-rmse", []).append([i, float(f"{train:.5f}")])
        truth.setdefault("eval-rmse", []).append([i, float(f"{valid:.5f}")])
print("Learning rate set to 0.25723")
for i in range(3):
    learn, test = 0.387 * 0.7**i, 0.403 * 0.72**i
    total = f"{70.5 * (i + 1):.3g}ms"
    print(
        f"{i}:\tlearn: {learn:.7f}\ttest: {test:.7f}\tbest: {test:.7f} ({i})\ttotal: {total}\tremaining: 0us"
    )
    truth.setdefault("learn", []).append([i, float(f"{learn:.7f}")])
    truth.setdefault("test", []).append([i, float(f"{test:.7f}")])
    truth.setdefault("best", []).append([i, float(f"{test:.7f}")])
with open(os.environ["TRUTH_FILE"], "w") as f:
    json.dump(truth, f)
