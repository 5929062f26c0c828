"""Journal speed and size: append to durable, sealed bytes per point, full read.

Each figure sits next to a baseline measured in the same run on the same events:
a bare msgspec encoder plus one file write, the raw JSONL size, and msgspec decoding
the same lines without framing.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Final

import msgspec
from harness import Result, best_of

from runar.events import AnyEvent, MetricsLogged
from runar.journal import FlushPolicy, JournalWriter, list_segments, read_run
from runar.journal.segment import SEAL_LEVEL, compress_frames

APPEND_EVENTS: Final = 200_000
CURVE_STEPS: Final = 50_000
APPEND_TARGET: Final = 400_000
BYTES_PER_POINT_TARGET: Final = 12.0
RUN_ID: Final = "0" * 16


STEP_SECONDS: Final = 0.05


def training_curve(steps: int, seed: int = 0) -> list[MetricsLogged]:
    """A realistic curve: noisy decaying loss, rising accuracy, cosine lr, grad norm.

    Steps are ~50 ms apart with jitter, so timestamps carry realistic entropy.
    """
    rng = random.Random(seed)
    ts = time.time_ns()
    events = []
    for step in range(steps):
        progress = step / steps
        loss = 2.5 * math.exp(-4 * progress) + 0.1 + rng.gauss(0, 0.05)
        accuracy = min(1.0, 0.95 * (1 - math.exp(-5 * progress)) + rng.gauss(0, 0.01))
        lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * progress))
        grad_norm = abs(rng.gauss(1.0, 0.3)) * (1 + 3 * math.exp(-10 * progress))
        values = {"loss": loss, "accuracy": accuracy, "lr": lr, "grad_norm": grad_norm}
        ts += int(rng.gauss(STEP_SECONDS, STEP_SECONDS / 10) * 1e9)
        events.append(MetricsLogged(values=values, step=step, ts=ts))
    return events


def _write_run(folder: Path, events: list[MetricsLogged]) -> Path:
    run_dir = folder / RUN_ID
    policy = FlushPolicy(flush_interval_s=0.1, fsync_interval_s=1.0)
    with JournalWriter(run_dir, RUN_ID, role="bench", policy=policy) as writer:
        for event in events:
            writer.append(event)
    return run_dir


def bench_append(folder: Path) -> Result:
    """JournalWriter.append of 4-key metric events until they are fsynced (sealing excluded)."""
    events = training_curve(APPEND_EVENTS)
    encoder = msgspec.json.Encoder()

    def baseline() -> None:
        path = folder / "baseline.jsonl"
        with open(path, "wb") as out:
            out.write(encoder.encode_lines(events))
            out.flush()
            os.fsync(out.fileno())
        path.unlink()

    def measured() -> float:
        for event in events:
            event.ts = 0  # let the writer stamp the time, as in real use
        run_dir = folder / RUN_ID
        policy = FlushPolicy(flush_interval_s=0.1, fsync_interval_s=1.0)
        writer = JournalWriter(run_dir, RUN_ID, role="bench", policy=policy)
        start = time.perf_counter()
        for event in events:
            writer.append(event)
        writer.flush(durable=True)
        took = time.perf_counter() - start
        writer.close()  # sealing is compaction, done in the background during a run
        shutil.rmtree(run_dir)
        return took

    base_rate = APPEND_EVENTS / best_of(baseline, repeat=3)
    rate = APPEND_EVENTS / min(measured() for _ in range(3))
    return Result(
        "journal: append → durable (fsync)",
        f"{rate:,.0f} ev/s",
        f"{base_rate:,.0f} ev/s (msgspec + 1 write + fsync)",
        f"{rate / base_rate:.2f}x",
        f">= {APPEND_TARGET:,} ev/s",
        rate >= APPEND_TARGET,
    )


def bench_size(folder: Path) -> Result:
    """Sealed bytes per float point for a realistic curve, vs the raw JSONL."""
    events = training_curve(CURVE_STEPS, seed=1)
    run_dir = _write_run(folder, events)
    sealed = sum(seg.size for seg in list_segments(run_dir))
    assert all(seg.sealed for seg in list_segments(run_dir))
    points = 4 * CURVE_STEPS
    raw = len(msgspec.json.Encoder().encode_lines(events))
    shutil.rmtree(run_dir)
    per_point = sealed / points
    return Result(
        f"journal: sealed size (zstd {SEAL_LEVEL})",
        f"{per_point:.2f} B/point",
        f"{raw / points:.1f} B/point (raw JSONL)",
        f"{per_point / (raw / points):.3f}x",
        f"<= {BYTES_PER_POINT_TARGET:g} B/point",
        per_point <= BYTES_PER_POINT_TARGET,
    )


def bench_read(folder: Path) -> Result:
    """read_run over sealed segments vs msgspec decoding the same lines unframed."""
    events = training_curve(APPEND_EVENTS, seed=2)
    run_dir = _write_run(folder, events)
    lines = msgspec.json.Encoder().encode_lines(events)
    decoder = msgspec.json.Decoder(AnyEvent)
    count = len(read_run(run_dir).events)
    assert count >= APPEND_EVENTS, count
    base_rate = APPEND_EVENTS / best_of(lambda: decoder.decode_lines(lines), repeat=3)
    rate = count / best_of(lambda: read_run(run_dir), repeat=3)
    shutil.rmtree(run_dir)
    return Result(
        "journal: full read of sealed run",
        f"{rate:,.0f} ev/s",
        f"{base_rate:,.0f} ev/s (msgspec decode_lines)",
        f"{rate / base_rate:.2f}x",
        "—",
        None,
    )


def seal_levels(folder: Path) -> list[Result]:
    """Bytes per point and sealing speed for a few zstd levels (to choose SEAL_LEVEL)."""
    events = training_curve(CURVE_STEPS, seed=3)
    run_dir = folder / "levels"
    policy = FlushPolicy(segment_bytes=1 << 40)
    writer = JournalWriter(run_dir, RUN_ID, role="bench", policy=policy)
    for event in events:
        writer.append(event)
    writer.flush(durable=True)
    data = b"".join(p.read_bytes() for p in sorted(run_dir.glob("*.jsonl")))
    writer.close()
    rows = []
    for level in (None, 1, 3, 10, 19):
        start = time.perf_counter()
        size = len(compress_frames(data, level))
        seconds = time.perf_counter() - start
        rows.append(
            Result(
                f"  zstd {f'{SEAL_LEVEL} (the default)' if level is None else f'level {level}'}",
                f"{size / (4 * CURVE_STEPS):.2f} B/point",
                f"{len(data) / seconds / 1e6:.0f} MB/s",
                "",
                "",
                None,
            )
        )
    return rows


def run() -> list[Result]:
    folder = Path(tempfile.mkdtemp(prefix="runar-bench-"))
    try:
        started = time.perf_counter()
        rows = [bench_append(folder), bench_size(folder), bench_read(folder)]
        rows.extend(seal_levels(folder))
        assert time.perf_counter() - started < 600
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    for row in run():
        print(row)
