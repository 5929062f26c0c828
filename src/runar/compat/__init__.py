"""APIs of other trackers, recording into runar: ``runar.compat.wandb``, ``runar.compat.mlflow``.

A script that calls ``wandb`` or ``mlflow`` runs unchanged under ``runar --as wandb``
(or ``--as mlflow``): the runner puts ``shims/<name>`` first on the child's
``PYTHONPATH``, where a package of that name hands ``import wandb`` over to the module
here. Nothing is installed into site-packages, and only that child sees the shim.
Under plain ``python``, ``import runar.compat.wandb as wandb`` does the same by hand.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

SHIMS: Final = ("wandb", "mlflow")


def shim_folder(name: str) -> str:
    """The folder to put on ``PYTHONPATH`` so that ``import <name>`` loads runar's API."""
    if name not in SHIMS:
        from runar.errors import UsageError

        raise UsageError(f"runar cannot stand in for {name!r}; --as takes {' or '.join(SHIMS)}")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims", name)
