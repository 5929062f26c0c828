"""Run the real `runar` in a subprocess and read back what it recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from runar.events import AnyEvent, OutputCaptured, RunFinished, RunStarted, Unknown
from runar.journal import read_run
from runar.store import Store

E = TypeVar("E")
RUNAR = [sys.executable, "-m", "runar"]


def runar_env(**extra: str) -> dict[str, str]:
    """Our environment (RUNAR_DIR from the store fixture) plus ``extra``."""
    return {**os.environ, "RUNAR_SAMPLE_INTERVAL": "0.1", **extra}


def write_script(folder: Path, body: str, name: str = "script.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def run_runar(
    args: Sequence[str], cwd: Path, timeout: float = 30, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m runar ARGS` with pipes, to completion; output decoded with "\r" intact."""
    done = subprocess.run(
        [*RUNAR, *args],
        cwd=cwd,
        env=runar_env(**env),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode(errors="backslashreplace"),
        done.stderr.decode(errors="backslashreplace"),
    )


def only_run(store: Store) -> str:
    ids = store.run_ids()
    assert len(ids) == 1, ids
    return ids[0]


def events_of(store: Store, run_id: str | None = None) -> list[AnyEvent | Unknown]:
    return read_run(store.run_dir(run_id or only_run(store))).events


def of_type(events: Sequence[object], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def started(store: Store) -> RunStarted:
    (event,) = of_type(events_of(store), RunStarted)
    return event


def finished(store: Store) -> RunFinished:
    (event,) = of_type(events_of(store), RunFinished)
    return event


def output_text(store: Store, stream: str = "stdout") -> str:
    chunks = of_type(events_of(store), OutputCaptured)
    return "".join(c.content() for c in chunks if c.stream == stream)
