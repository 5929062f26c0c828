"""``import mlflow`` under ``runar --as mlflow``: runar's mlflow-compatible API takes its place."""

import sys

import runar.compat.mlflow

# the module itself, so ``import mlflow.pytorch`` finds runar's submodules through its __path__
sys.modules[__name__] = runar.compat.mlflow
