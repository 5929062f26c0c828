"""Build runs in a real store by writing events through the real journal."""

from __future__ import annotations

from collections.abc import Sequence

from runar.events import AnyEvent, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store


def write_run(
    store: Store,
    events: Sequence[AnyEvent],
    name: str | None = None,
    finish: str | None = "completed",
    run_id: str | None = None,
) -> str:
    """A run started, given ``events``, and (unless ``finish`` is None) finished."""
    run_id = run_id or new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id, role="test") as writer:
        writer.append(RunStarted(run_id=run_id, name=name, argv=["train.py"]))
        for event in events:
            writer.append(event)
        if finish is not None:
            writer.append(RunFinished(status=finish, exit_code=0 if finish == "completed" else 1))
    return run_id
