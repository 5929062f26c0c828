"""Building real stores event by event, and waiting for the dashboard's workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from runar.events import (
    AnyEvent,
    ArtifactAttached,
    ConfigSet,
    GitState,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    SystemSampled,
    TagsChanged,
)
from runar.journal import JournalWriter
from runar.store import Store

NS = 1_000_000_000
T0 = 1_767_225_600 * NS  # 2026-01-01 00:00:00 UTC: fixed, so snapshots never move
NOW_S = T0 / NS + 3 * 3600  # the frozen "now": three hours after the first run
SIZE = (100, 30)


def write_events(store: Store, run_id: str, events: list[AnyEvent]) -> None:
    """Append the events to a run's log through the real writer, then seal it."""
    writer = JournalWriter(store.run_dir(run_id), run_id, role="sdk")
    for event in events:
        writer.append(event)
    writer.close()


def run_events(
    run_id: str,
    name: str,
    start: int,
    status: str | None = "completed",
    lr: float = 1e-3,
    steps: int = 20,
    final_acc: float = 0.9,
    tags: tuple[str, ...] = (),
) -> list[AnyEvent]:
    """A small, complete training run: config, metrics, a step, an artifact, output."""
    events: list[AnyEvent] = [
        RunStarted(
            run_id=run_id,
            name=name,
            ts=start,
            argv=["train.py", "--lr", str(lr)],
            command=["python", "train.py", "--lr", str(lr)],
            cwd="/home/ada/project",
            host="box",
            pid=4242,
            user="ada",
            python="3.11.9",
            git=GitState(commit="0123456789abcdef0123", branch="main", dirty=True),
        ),
        ConfigSet(values={"optim": {"lr": lr, "name": "adam"}, "batch": 32}, ts=start + 1),
    ]
    if tags:
        events.append(TagsChanged(added=list(tags), ts=start + 2))
    events.append(StepStarted(step_id="s1", name="train", ts=start + 3))
    for i in range(steps):
        t = start + (i + 1) * NS
        acc = final_acc * (i + 1) / steps
        events.append(
            MetricsLogged(
                values={"loss": 1.0 / (i + 1), "acc": acc}, step=i, ts=t, workflow_step="s1"
            )
        )
        events.append(SystemSampled(cpu_percent=50.0 + i, rss_bytes=(100 + i) * 1_000_000, ts=t))
    events.append(StepFinished(step_id="s1", status="completed", ts=start + (steps + 1) * NS))
    events.append(
        OutputCaptured(stream="stdout", text="epoch 1 done\nloss went down\n", ts=start + 5)
    )
    events.append(NoteAdded(text="first try", ts=start + 6))
    if status is not None:
        events.append(
            RunFinished(
                status=status,
                exit_code=0 if status == "completed" else 1,
                ts=start + (steps + 2) * NS,
            )
        )
    return events


def add_artifacts(store: Store, run_id: str, start: int) -> list[AnyEvent]:
    """Files under the run's artifacts folder, and the events that attach them."""
    folder = store.artifacts_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text('{"acc": 0.9, "loss": 0.05}')
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (64).to_bytes(4, "big")
        + (48).to_bytes(4, "big")
    )
    (folder / "plot.png").write_bytes(png + b"\x00" * 16)
    return [
        ArtifactAttached(
            name="metrics.json",
            kind="json",
            size=27,
            sha256="ab" * 32,
            path="metrics.json",
            ts=start + 7,
            workflow_step="s1",
        ),
        ArtifactAttached(
            name="plot.png",
            kind="image",
            size=len(png) + 16,
            sha256="cd" * 32,
            path="plot.png",
            ts=start + 8,
        ),
    ]


RUN_A = "0000000000000aaa"
RUN_B = "0000000000000bbb"
RUN_C = "0000000000000ccc"


async def settle(pilot: Pilot[None]) -> None:
    """Let every finite worker finish and the screen repaint."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Pause until ``condition`` holds (True) or the time runs out (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
        await pilot.pause()
    return condition()
