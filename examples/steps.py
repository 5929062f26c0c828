"""Named workflow steps: prepare → train → evaluate, each RUNNING then COMPLETED/FAILED.

Metrics and artifacts logged inside a step are attached to it; steps nest.
A nearest-centroid classifier in numpy keeps it quick.
"""

from __future__ import annotations

import numpy as np

import runar
from runar import log, save, step

runar.init(name="centroids", config={"classes": 4, "dims": 16, "samples": 3000})

with step("prepare"):
    rng = np.random.default_rng(7)
    centers = rng.normal(0, 2.5, size=(4, 16))
    labels = rng.integers(0, 4, 3000)
    points = centers[labels] + rng.normal(0, 2.0, size=(3000, 16))
    train_x, train_y, test_x, test_y = points[:2400], labels[:2400], points[2400:], labels[2400:]
    save("class_counts.json", {str(c): int((labels == c).sum()) for c in range(4)})

with step("train"):
    estimate = np.zeros((4, 16))
    seen = np.zeros(4)
    for i, (x, y) in enumerate(zip(train_x, train_y, strict=True)):
        seen[y] += 1
        estimate[y] += (x - estimate[y]) / seen[y]  # running mean per class
        if i % 400 == 0:
            with step("checkpoint"):
                error = float(np.linalg.norm(estimate - centers, axis=1).mean())
                log({"centroid_error": error}, step=i)

with step("evaluate"):
    distances = ((test_x[:, None, :] - estimate[None]) ** 2).sum(axis=2)
    accuracy = float((distances.argmin(axis=1) == test_y).mean())
    log({"test/acc": accuracy})
    save("centroids", estimate)
    print(f"test accuracy={accuracy:.3f}")

runar.finish()
