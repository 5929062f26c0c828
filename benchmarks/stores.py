"""Synthetic stores for benchmarks, written straight as sealed segments and cached.

Building 10,000 runs through JournalWriter would take minutes of benchmark time, so
runs are encoded with the real codec and sealed with the real segment code, which
is byte-for-byte what a writer would leave behind.
"""

from __future__ import annotations

import math
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.codec import encode_blocks, encode_line, encode_lines
from runar.events import (
    AnyEvent,
    ConfigSet,
    MetricsLogged,
    RunFinished,
    RunStarted,
    TagsChanged,
    WriterOpened,
)
from runar.ids import new_run_id
from runar.journal.segment import compress_frames, segment_stem
from runar.store import Store

WORK: Final = Path(__file__).resolve().parent / ".work"
BASE_TS: Final = 1_790_000_000_000_000_000


def training_curve(steps: int, rnd: random.Random, keys: int = 4) -> list[dict[str, float]]:
    """Noisy decaying loss, rising accuracy, a cosine lr schedule and a grad norm."""
    rows = []
    for i in range(steps):
        t = i / max(steps - 1, 1)
        row = {
            "loss": 2.3 * math.exp(-3 * t) + 0.05 * rnd.random(),
            "acc": 1 - 0.9 * math.exp(-4 * t) - 0.02 * rnd.random(),
            "lr": 1e-3 * 0.5 * (1 + math.cos(math.pi * t)),
            "grad_norm": 1.5 * math.exp(-t) + 0.3 * rnd.random(),
        }
        rows.append(dict(list(row.items())[:keys]))
    return rows


def run_events(run_id: str, index: int, steps: int, rnd: random.Random) -> list[AnyEvent]:
    """A finished run's events, envelope filled in as a writer would."""
    writer = f"bench-{run_id[:10]}"
    ts = BASE_TS + index * 60_000_000_000
    events: list[AnyEvent] = [
        WriterOpened(run_id=run_id, role="bench", host="bench-host", pid=1),
        RunStarted(run_id=run_id, name=f"exp-{index % 50}", argv=["train.py"], host="bench-host"),
        ConfigSet(values={"lr": 10 ** -rnd.randint(2, 5), "batch": 2 ** rnd.randint(4, 8)}),
        TagsChanged(added=[rnd.choice(["baseline", "ablation", "sweep"])]),
    ]
    events += [MetricsLogged(values=v, step=i) for i, v in enumerate(training_curve(steps, rnd))]
    events.append(RunFinished(status=rnd.choice(["completed"] * 8 + ["failed"]), exit_code=0))
    for seq, event in enumerate(events, start=1):
        event.writer, event.seq, event.ts = writer, seq, ts + seq * 1_000_000
    return events


def per_line_segment(events: list[AnyEvent]) -> bytes:
    """Every event a line with its own CRC: format 1, what older runar wrote."""
    return encode_lines(events)


def block_segment(events: list[AnyEvent]) -> bytes:
    """The header framed alone, the rest in checked blocks, as a JournalWriter writes now:
    runs of like metric events as MetricsColumns records (the writer's own encoder)."""
    return encode_line(events[0]) + encode_blocks(events[1:])


def event_block_segment(events: list[AnyEvent]) -> bytes:
    """Checked blocks of one line per event: what a JournalWriter wrote before columns."""
    return encode_line(events[0]) + encode_blocks(events[1:], columns=False)


def synthetic_store(
    name: str,
    runs: int,
    steps: int,
    framing: Callable[[list[AnyEvent]], bytes] = per_line_segment,
) -> Store:
    """A cached store of ``runs`` finished runs with ``steps`` metric events each."""
    root = WORK / f"{name}-{runs}x{steps}" / ".runar"
    done = root.parent / "complete"
    if done.exists():
        return Store(root)
    shutil.rmtree(root.parent, ignore_errors=True)
    store = Store(root).create()
    rnd = random.Random(42)
    for i in range(runs):
        run_id = new_run_id()
        events = run_events(run_id, i, steps, rnd)
        folder = store.run_dir(run_id)
        folder.mkdir()
        path = folder / f"{segment_stem(events[0].writer, 1)}.jsonl.zst"
        path.write_bytes(compress_frames(framing(events)))
    done.touch()
    return store
