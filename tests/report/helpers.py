"""Runs written straight into the journal, as the runner and the SDK log them; the CLI by main()."""

from __future__ import annotations

import sys
import time
from typing import Any

from typer.testing import CliRunner

from runar.events import (
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store
from tests.cli.helpers import invoke_main

S = 1_000_000_000


def write_run(
    store: Store,
    name: str,
    config: dict[str, Any],
    curves: dict[str, list[float]],
    *,
    status: str = "completed",
    error: str | None = None,
    note: str | None = None,
) -> str:
    """A finished run with a config, one point per value of each curve and a 'train' step."""
    run_id = new_run_id()
    tick = iter(range(time.time_ns(), time.time_ns() + 10_000 * S, S))
    w = JournalWriter(store.run_dir(run_id), run_id, role="runner")
    w.append(
        RunStarted(
            run_id=run_id,
            name=name,
            source="runner",
            argv=["train.py"],
            command=[sys.executable, "train.py"],
            host="testhost",
            python="3.11.4",
            ts=next(tick),
        )
    )
    w.append(ConfigSet(values=config, ts=next(tick)))
    w.append(StepStarted(step_id="s1", name="train", ts=next(tick)))
    for step in range(max((len(v) for v in curves.values()), default=0)):
        values = {k: v[step] for k, v in curves.items() if step < len(v)}
        w.append(MetricsLogged(values=values, step=step, workflow_step="s1", ts=next(tick)))
    w.append(StepFinished(step_id="s1", status=status, ts=next(tick)))
    if note:
        w.append(NoteAdded(text=note, ts=next(tick)))
    code = int(status != "completed")
    w.append(RunFinished(status=status, exit_code=code, error=error, ts=next(tick)))  # type: ignore[arg-type]
    w.close()
    return run_id


def run_main(*args: str) -> tuple[int, str, str]:
    """Through main(), the error boundary: exit code, stdout, stderr."""
    return invoke_main(CliRunner(), *args)
