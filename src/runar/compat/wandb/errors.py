"""``wandb.errors``: what wandb raises where a script can catch it."""

from __future__ import annotations

from runar.errors import RunarError


class Error(RunarError):
    """Base of wandb's errors (``wandb.Error``)."""


class UsageError(Error):
    """The API was called in a way wandb refuses too, e.g. ``log()`` before ``init()``."""


class CommError(Error):
    """Never raised here (nothing goes over a network); defined so ``except`` clauses work."""
