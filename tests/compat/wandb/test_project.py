"""wandb.init(project=...) files the run under that project, as `runar import wandb` does."""

from __future__ import annotations

import runar.compat.wandb as wandb
from runar.store import Store
from runar.views import open_views


def test_the_wandb_project_is_the_runs_project(store: Store) -> None:
    run = wandb.init(project="owt", name="gpt2")
    wandb.log({"loss": 1.0})
    run_id = run.id
    wandb.finish()
    with open_views(store) as views:
        summary = views.get(run_id)
    assert summary.project == "owt"
    assert summary.config_values()["_wandb.project"] == "owt"
