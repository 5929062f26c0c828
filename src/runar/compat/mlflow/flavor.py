"""``mlflow.<flavor>.log_model`` / ``autolog`` for the flavors training scripts use.

A torch model is stored with torch.save (``<path>/model.pt``), anything else pickled
(``<path>/model.pkl``); a model that cannot be pickled is skipped with a warning.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_said_autolog = False


def autolog(*args: Any, **kwargs: Any) -> None:
    """Not supported: say so once; explicit calls and printed metrics are still recorded."""
    global _said_autolog
    if not _said_autolog:
        _said_autolog = True
        sys.stderr.write(
            "runar: mlflow autolog() records nothing under runar; log_* calls and "
            "printed metrics are still recorded\n"
        )


def log_model(model: object, artifact_path: str | None = None, *args: Any, **kwargs: Any) -> None:
    """Store the model as an artifact under ``artifact_path`` (or ``name``, or ``model``)."""
    from runar.compat.mlflow.runs import current_or_start

    folder = artifact_path or kwargs.get("name") or "model"
    recorder = current_or_start().recorder
    if "torch" in sys.modules and hasattr(model, "state_dict"):
        recorder.save(f"{folder}/model.pt", model)
        return
    import pickle

    try:
        data = pickle.dumps(model)
    except Exception as exc:  # a model is not worth stopping a finished training for
        sys.stderr.write(f"runar: mlflow log_model: cannot pickle {type(model).__name__} ({exc})\n")
        return
    recorder.save(f"{folder}/model.pkl", data)


def save_model(model: object, path: str, *args: Any, **kwargs: Any) -> None:
    """Save the model to a local folder, as mlflow would, without logging it."""
    import os
    import pickle

    os.makedirs(path, exist_ok=True)
    if "torch" in sys.modules and hasattr(model, "state_dict"):
        import torch

        torch.save(model, os.path.join(path, "model.pt"))
    else:
        with open(os.path.join(path, "model.pkl"), "wb") as f:
            pickle.dump(model, f)
