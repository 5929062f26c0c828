"""SDK test fixtures: a simulated runner run, and no run left active between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runar.events import RunStarted
from runar.journal import JournalWriter
from runar.sdk import current, process
from runar.store import Store


@pytest.fixture
def runner_run(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A run as the runner would start it: RunStarted by a 'runner' writer, env set."""
    run_id = "0123456789abcdef"
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as writer:
        writer.append(RunStarted(run_id=run_id, source="runner"))
    monkeypatch.setenv("RUNAR_RUN_ID", run_id)
    yield run_id


@pytest.fixture(autouse=True)
def no_active_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process tests leave no run active, and no runner's run claimed, for the next test."""
    monkeypatch.delenv("RUNAR_RUN_NAME", raising=False)  # pytest itself run under `runar -n`
    monkeypatch.setattr(current, "_claimed", None)  # every runner_run has the same id
    yield
    current._implicit.clear()
    for run in list(process.active):
        run.finish()
    process.active.clear()
    for writer in process.writers.values():
        writer.close()
    process.writers.clear()
