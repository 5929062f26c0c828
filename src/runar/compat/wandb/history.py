"""``wandb.log``'s step and commit rules, and where each logged value goes.

wandb builds one history row per step: ``log(d)`` adds ``d`` and commits the row at
the current step, which then advances; ``commit=False`` keeps adding to the same row;
an explicit ``step`` larger than the current one commits the pending row first, and
one smaller is dropped with a warning. Nested dicts are flattened with ``/``
(``{"train": {"loss": 1}}`` is ``train/loss``).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def flatten(values: Mapping[object, object], prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}}`` → ``{"a/b": 1}``."""
    flat: dict[str, object] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "/"))
        else:
            flat[name] = value
    return flat


class History:
    """The pending row and the current step; ``write(step, row)`` receives committed rows."""

    def __init__(self, write: Callable[[int, dict[str, object]], None]) -> None:
        self.step = 0
        self._row: dict[str, object] = {}
        self._write = write
        self._warned_step = False

    def log(self, data: Mapping[str, object], step: int | None, commit: bool | None) -> None:
        """Add ``data`` to the pending row, committing as wandb would."""
        if not hasattr(data, "items"):
            raise TypeError(f"wandb.log takes a dict, got {type(data).__name__}")
        if step is not None:
            step = int(step)
            if step < self.step:
                self._warn_step(step)
                return
            if step > self.step:
                self.flush()
                self.step = step
        elif commit is None:
            commit = True
        self._row.update(flatten(data))
        if commit:
            self.flush()

    def flush(self) -> None:
        """Commit the pending row, if any, at the current step."""
        if not self._row:
            return
        row, self._row = self._row, {}
        self._write(self.step, row)
        self.step += 1

    def _warn_step(self, step: int) -> None:
        if not self._warned_step:
            self._warned_step = True
            sys.stderr.write(
                f"runar: wandb.log step {step} is before the current step {self.step}; "
                "dropped, as wandb does\n"
            )
