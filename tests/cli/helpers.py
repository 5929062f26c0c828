"""Runs written straight into the journal, so the commands are tested on real logs."""

from __future__ import annotations

import hashlib
import sys
import time
from typing import Any

from typer.testing import CliRunner, Result

from runar.cli import app, main
from runar.events import (
    ArtifactAttached,
    ConfigSet,
    GitState,
    MetricsLogged,
    OutputCaptured,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TagsChanged,
)
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store

S = 1_000_000_000


def write_run(
    store: Store,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    metrics: list[dict[str, float]] | None = None,
    output: list[tuple[str, str]] | None = None,
    artifact: bytes | None = None,
    tags: list[str] | None = None,
    status: str | None = "completed",
    git: GitState | None = None,
    env: dict[str, str] | None = None,
    packages: dict[str, str] | None = None,
    python: str = "3.11.4",
    start_ts: int | None = None,
    args: list[str] | None = None,
    error: str | None = None,
    error_type: str | None = None,
    traceback: str | None = None,
) -> str:
    """A whole run as the runner and SDK would log it; ``status=None`` leaves it running."""
    run_id = new_run_id()
    argv = ["--epochs", "2"] if args is None else args
    ts = start_ts or time.time_ns()
    tick = iter(range(ts, ts + 10_000 * S, S))
    w = JournalWriter(store.run_dir(run_id), run_id, role="runner")
    w.append(
        RunStarted(
            run_id=run_id,
            name=name,
            source="runner",
            argv=["train.py", *argv],
            command=[sys.executable, "train.py", *argv],
            cwd="/work",
            host="testhost",
            pid=4242,
            python=python,
            executable=sys.executable,
            platform="Linux-x86_64",
            git=git,
            env=env or {"LANG": "C.UTF-8"},
            packages=packages or {"numpy": "1.26.0"},
            ts=next(tick),
        )
    )
    w.append(ConfigSet(values=config or {"lr": 0.001, "model": {"layers": 2}}, ts=next(tick)))
    if tags:
        w.append(TagsChanged(added=tags, ts=next(tick)))
    w.append(StepStarted(step_id="s1", name="train", ts=next(tick)))
    for step, values in enumerate(metrics or [{"loss": 0.5, "accuracy": 0.8}]):
        w.append(MetricsLogged(values=values, step=step, workflow_step="s1", ts=next(tick)))
    for stream, text in output or [("stdout", "epoch 1 done\n"), ("stderr", "warning: slow\n")]:
        w.append(OutputCaptured(stream=stream, text=text, ts=next(tick)))  # type: ignore[arg-type]
    w.append(StepFinished(step_id="s1", status="completed", ts=next(tick)))
    if artifact is not None:
        folder = store.artifacts_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.pt").write_bytes(artifact)
        w.append(
            ArtifactAttached(
                name="model.pt",
                kind="file",
                size=len(artifact),
                sha256=hashlib.sha256(artifact).hexdigest(),
                path="model.pt",
                ts=next(tick),
            )
        )
    if status is not None:
        exit_code = {"completed": 0, "failed": 1}.get(status)
        finished = RunFinished(
            status=status,  # type: ignore[arg-type]
            exit_code=exit_code,
            error=error,
            error_type=error_type,
            traceback=traceback,
            ts=next(tick),
        )
        w.append(finished)
    w.close()
    return run_id


def invoke(cli: CliRunner, *args: str, input: str | None = None) -> Result:
    """Run a command through typer, as a user would type it."""
    return cli.invoke(app, list(args), input=input, catch_exceptions=False)


def invoke_main(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    """Run through main(), the error boundary: exit code, stdout, stderr."""
    with cli.isolation() as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()
