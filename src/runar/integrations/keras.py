"""Keras 3 → runar: ``model.fit(..., callbacks=[RunarCallback()])``, on any backend.

What lands: config at the start of ``fit`` (the compiled optimizer's class and
``get_config()`` — learning rate or its schedule, weight decay, clipping, betas — plus
``epochs`` and ``steps_per_epoch``); each epoch's logs (``loss``, metrics, ``val_*``) at
the epoch index Keras passes (0 for the first); with ``log_every_n_batches=N``, the
running batch logs every N batches under ``batch/<key>`` at the number of batches done,
so the two curves never share a step axis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import keras

from runar.integrations.target import numbers, plain, run_for

if TYPE_CHECKING:
    from runar.sdk.run import Run

BATCH_PREFIX = "batch/"


class RunarCallback(keras.callbacks.Callback):
    """Record a Keras ``fit``: optimizer settings, epoch logs and (optionally) batch logs."""

    def __init__(
        self,
        name: str | None = None,
        *,
        tags: Iterable[str] = (),
        log_every_n_batches: int | None = None,
    ) -> None:
        super().__init__()
        every = log_every_n_batches
        if every is not None and (
            not isinstance(every, int) or isinstance(every, bool) or every < 1
        ):
            raise ValueError(f"log_every_n_batches must be a positive int or None, got {every!r}")
        self._name = name
        self._tags = tuple(tags)
        self._every = every
        self._batches = 0  # batches done across epochs: the batch curve's step
        self.run: Run | None = None

    def _run(self) -> Run:
        if self.run is None:
            self.run = run_for(self._name, self._tags)
        return self.run

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        settings: dict[str, Any] = {}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            settings["optimizer"] = {"class": type(optimizer).__name__, **optimizer.get_config()}
        params = self.params or {}
        for key, as_key in (("epochs", "epochs"), ("steps", "steps_per_epoch")):
            if params.get(key) is not None:
                settings[as_key] = params[key]
        if settings:
            self._run().config(plain(settings))

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        values = numbers(logs or {})
        if values:
            self._run().log(values, step=epoch)

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        if self._every is None or self._batches % self._every:
            return
        values = numbers(logs or {})
        if values:
            self._run().log({BATCH_PREFIX + k: v for k, v in values.items()}, step=self._batches)
