"""Workflow steps: ``with step("train"):`` records RUNNING, then COMPLETED or FAILED."""

from __future__ import annotations

import os
from contextvars import ContextVar

from runar.sdk import standalone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Final

    from runar.sdk.run import Run

STEP_TOKEN_CHARS: Final = 8

# the innermost open step of this thread or task: metrics logged inside it name it
current_step: ContextVar[str | None] = ContextVar("runar_step", default=None)


def new_step_id() -> str:
    """A short random step id, unique within a run."""
    return os.urandom(STEP_TOKEN_CHARS // 2).hex()


class StepScope:
    """``with step("train"):`` — RUNNING, then COMPLETED or FAILED; steps nest."""

    def __init__(self, name: str, run: Run | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            from runar.errors import InvalidName

            raise InvalidName(f"step name {name!r} must be a non-empty string")
        self.name = name
        self.run = run
        self.step_id: str | None = None
        self._token: Any = None

    def __enter__(self) -> StepScope:
        from runar.sdk.current import current_run

        run = self.run or current_run()
        self.run = run
        self.step_id = new_step_id()
        parent = current_step.get()
        run._emit(run._ev.StepStarted(step_id=self.step_id, name=self.name, parent=parent))
        self._token = current_step.set(self.step_id)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        current_step.reset(self._token)
        assert self.run is not None and self.step_id is not None
        ev = self.run._ev
        if kind is None:
            finished = ev.StepFinished(step_id=self.step_id, status="completed")
        else:
            finished = ev.StepFinished(
                step_id=self.step_id,
                status="failed",
                error_type=standalone.type_name(kind),
                error=str(exc),
            )
        self.run._emit(finished)  # the exception, if any, propagates
