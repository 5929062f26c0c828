"""``import wandb`` under ``runar --as wandb``: runar's wandb-compatible API takes its place."""

import sys

import runar.compat.wandb

# the module itself, not a copy of its names: ``wandb.run`` and ``wandb.config`` change on init()
sys.modules[__name__] = runar.compat.wandb
