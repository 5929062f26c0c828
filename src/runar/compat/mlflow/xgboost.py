"""``mlflow.xgboost``: ``log_model`` stores the model as an artifact; ``autolog`` is a no-op."""

from runar.compat.mlflow.flavor import autolog, log_model, save_model

__all__ = ["autolog", "log_model", "save_model"]
