"""Run scripts in real interpreters and read their runs back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TypeVar

from runar.events import AnyEvent, RunStarted
from runar.journal import read_run
from runar.store import Store

E = TypeVar("E")
SCRIPT_TIMEOUT_S = 60


def run_script(
    store: Store,
    folder: Path,
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Write ``code`` to a script and run it with plain python against ``store``."""
    script = folder / "script.py"
    script.write_text(textwrap.dedent(code))
    full_env = {**os.environ, "RUNAR_DIR": str(store.root), **(env or {})}
    if env is None or "RUNAR_RUN_ID" not in env:
        full_env.pop("RUNAR_RUN_ID", None)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=folder,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )


def run_under_runar(
    store: Store, folder: Path, code: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Write ``code`` to a script and run it under the real runner: ``python -m runar``."""
    script = folder / "script.py"
    script.write_text(textwrap.dedent(code))
    env = {**os.environ, "RUNAR_DIR": str(store.root), "RUNAR_SAMPLE_INTERVAL": "0.1"}
    env.pop("RUNAR_RUN_ID", None)
    return subprocess.run(
        [sys.executable, "-m", "runar", str(script), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )


def runs_by_source(store: Store) -> dict[str, list[RunStarted]]:
    """Every run's RunStarted, grouped by who started it ('runner' or 'sdk')."""
    grouped: dict[str, list[RunStarted]] = {}
    for run_id in store.run_ids():
        for started in of_type(events_of(store, run_id), RunStarted):
            grouped.setdefault(started.source, []).append(started)
    return grouped


def events_of(store: Store, run_id: str) -> list[AnyEvent]:
    return list(read_run(store.run_dir(run_id)).events)  # type: ignore[arg-type]


def only_run(store: Store) -> str:
    ids = store.run_ids()
    assert len(ids) == 1, ids
    return ids[0]


def of_type(events: list[AnyEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]
