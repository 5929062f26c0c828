"""HuggingFace ``Trainer`` → runar: ``Trainer(..., callbacks=[RunarCallback()])``.

What lands, all from the main process only (``state.is_world_process_zero``), like every
tracker the Trainer supports:

- config, at the start of training: every ``TrainingArguments`` field (``to_dict()``, tokens
  masked) at the top level and the model's config under ``model``;
- metrics: each ``logs`` dict the Trainer logs (the entries of ``state.log_history``:
  training loss, learning rate, ``epoch``, evaluation and end-of-training figures) at
  ``state.global_step``; evaluation and prediction metrics that did not go through the log;
- checkpoints: a small JSON artifact ``checkpoints/checkpoint-<step>`` naming the folder
  the Trainer wrote, its files and sizes — the weights stay where they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from runar.integrations.target import numbers, plain, run_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from transformers import TrainerControl, TrainerState, TrainingArguments

    from runar.sdk.run import Run

CHECKPOINT_PREFIX = "checkpoint"  # transformers.trainer_utils.PREFIX_CHECKPOINT_DIR


class RunarCallback(TrainerCallback):
    """Record a Trainer's arguments, model config, logs, evaluations and checkpoints."""

    def __init__(self, name: str | None = None, *, tags: Iterable[str] = ()) -> None:
        self._name = name
        self._tags = tuple(tags)
        self.run: Run | None = None
        self._recorded: dict[str, tuple[int, float]] = {}  # key → (step, value) last logged

    def _run(self) -> Run:
        if self.run is None:
            self.run = run_for(self._name, self._tags)
        return self.run

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero:
            return
        settings = plain(args.to_dict())
        model_config = getattr(model, "config", None)
        if model_config is not None and hasattr(model_config, "to_dict"):
            settings["model"] = plain(model_config.to_dict())
        self._run().config(settings)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero and logs:
            self._log(logs, state.global_step)

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        # Trainer.evaluate() logs its metrics first; a subclass that skips that still records
        if state.is_world_process_zero and metrics:
            self._log(metrics, state.global_step, only_new=True)

    on_predict = on_evaluate  # prediction metrics arrive the same way, with the same caveat

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir) / f"{CHECKPOINT_PREFIX}-{state.global_step}"
        if not folder.is_dir():
            return  # a Trainer subclass that saves elsewhere: nothing to point at
        reference = {
            "path": str(folder.resolve()),
            "global_step": state.global_step,
            "epoch": state.epoch,
            "files": {
                str(path.relative_to(folder)): path.stat().st_size
                for path in sorted(folder.rglob("*"))
                if path.is_file()
            },
            "best_model_checkpoint": state.best_model_checkpoint,
            "best_metric": state.best_metric,
        }
        self._run().save(f"checkpoints/{folder.name}", reference)

    def _log(self, values: Mapping[str, object], step: int, *, only_new: bool = False) -> None:
        metrics = numbers(values)
        if only_new:
            metrics = {k: v for k, v in metrics.items() if self._recorded.get(k) != (step, v)}
        if not metrics:
            return
        self._run().log(metrics, step=step)
        self._recorded.update((key, (step, value)) for key, value in metrics.items())


__all__ = ["RunarCallback"]
