"""``mlflow.exceptions``: what mlflow raises where a script can catch it."""

from __future__ import annotations

from runar.errors import RunarError


class MlflowException(RunarError):
    """A call mlflow refuses too, e.g. a second ``start_run`` without ``nested=True``."""

    def __init__(self, message: object, error_code: str = "INTERNAL_ERROR", **kwargs: object):
        super().__init__(str(message))
        self.message = str(message)
        self.error_code = error_code
