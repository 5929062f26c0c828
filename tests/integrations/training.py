"""Train a tiny model with a real framework in a subprocess and read back what runar recorded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runar.events import AnyEvent, ArtifactAttached, ConfigSet, MetricsLogged, RunStarted, Unknown
from runar.journal import read_run
from runar.store import Store

SCRIPTS = Path(__file__).parent / "scripts"
TIMEOUT_S = 300  # a loaded 2-core CI box imports torch and a framework slowly


@dataclass
class Trained:
    """One training script's run: its events, and what the framework itself reported."""

    store: Store
    run_id: str
    events: list[AnyEvent | Unknown]
    truth: dict[str, Any]
    work: Path

    def started(self) -> RunStarted:
        return next(e for e in self.events if isinstance(e, RunStarted))

    def metrics(self, writer_role: str = "") -> list[tuple[int | None, dict[str, float]]]:
        """What the SDK logged (not what the runner read from the output), in log order."""
        return [
            (e.step, dict(e.values))
            for e in self.events
            if isinstance(e, MetricsLogged)
            and e.source is None
            and e.writer.startswith(writer_role)
            and not e.writer.startswith("runner")
        ]

    def config(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for event in self.events:
            if isinstance(event, ConfigSet):
                merged.update(event.values)
        return merged

    def artifacts(self) -> dict[str, Any]:
        """Artifact name → its JSON content (the integrations store references as JSON)."""
        folder = self.store.artifacts_dir(self.run_id)
        return {
            e.name: json.loads((folder / e.path).read_text())
            for e in self.events
            if isinstance(e, ArtifactAttached)
        }


def train_once(
    factory: pytest.TempPathFactory,
    worker_id: str,
    key: str,
    script: str,
    *args: str,
    under_runar: bool,
) -> Trained:
    """``train`` once per test session, even when several xdist workers need the result.

    The pytest-xdist recipe: workers share the session's temp root, the first one trains
    under a file lock and the others read what it recorded.
    """
    if worker_id == "master":
        return train(factory.mktemp(key), script, *args, under_runar=under_runar)
    from filelock import FileLock  # torch depends on it, so it is here wherever these run

    tmp = factory.getbasetemp().parent / key
    with FileLock(f"{tmp}.lock"):
        if (tmp / "truth.json").is_file():
            return recorded(tmp)
        return train(tmp, script, *args, under_runar=under_runar)


def train(tmp: Path, script: str, *args: str, under_runar: bool, name: str = "cli") -> Trained:
    """Run ``scripts/<script>`` with plain python or ``python -m runar -n NAME``."""
    tmp.mkdir(parents=True, exist_ok=True)
    store = Store(tmp / ".runar")
    shutil.copy(SCRIPTS / script, tmp / script)
    env = {
        **os.environ,
        "RUNAR_DIR": str(store.root),
        "TRUTH_FILE": str(tmp / "truth.json"),
        "HF_HUB_OFFLINE": "1",  # a tiny config built in code: nothing to download
        "KERAS_BACKEND": "torch",
        "RUNAR_SAMPLE_INTERVAL": "0.5",
    }
    env.pop("RUNAR_RUN_ID", None)
    prefix = ["-m", "runar", "-n", name] if under_runar else []
    done = subprocess.run(
        [sys.executable, *prefix, script, *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return recorded(tmp)


def recorded(tmp: Path) -> Trained:
    """The one run a script recorded in ``tmp/.runar``, and its truth file."""
    store = Store(tmp / ".runar")
    run_ids = store.run_ids()
    assert len(run_ids) == 1, run_ids
    events = read_run(store.run_dir(run_ids[0])).events
    return Trained(
        store, run_ids[0], list(events), json.loads((tmp / "truth.json").read_text()), tmp
    )
