"""A store of seeded runs: three models × three seeds, with hostile names and a missing metric."""

from __future__ import annotations

import random

import pytest

from runar.store import Store

from .helpers import write_run

MODELS = ("resnet_18", "vit & co", "mlp 100%")
BASE_ACC = {"resnet_18": 0.91, "vit & co": 0.93, "mlp 100%": 0.80}


@pytest.fixture
def seeded(store: Store) -> Store:
    """9 runs: acc and val/loss per (model, seed); mlp's seed 2 never logged val/loss."""
    rng = random.Random(7)
    for model in MODELS:
        for seed in range(3):
            acc = BASE_ACC[model] + rng.gauss(0, 0.005)
            curves = {"acc": [0.5, acc], "val/loss": [1.0, 1 - acc + rng.gauss(0, 0.01)]}
            if model == "mlp 100%" and seed == 2:
                del curves["val/loss"]
            write_run(store, f"{model}-s{seed}", {"model": model, "seed": seed}, curves)
    return store
