"""A real kill -9: everything up to the last flush survives, nothing is corrupt."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runar.events import MetricsLogged
from runar.journal import read_run

KILLS = 4
APPENDER = """
import sys
from pathlib import Path
from runar.events import MetricsLogged
from runar.journal import FlushPolicy, JournalWriter

policy = FlushPolicy(flush_interval_s=0.1, segment_bytes=200_000)
w = JournalWriter(Path(sys.argv[1]), "0123456789abcdef", policy=policy)
print("ready", flush=True)
step = 0
while True:
    w.append(MetricsLogged(values={"loss": 1 / (step + 1), "acc": step * 1e-6}, step=step))
    step += 1
"""


@pytest.mark.timeout(60)
def test_kill_9_loses_only_the_unflushed_tail(tmp_path: Path) -> None:
    rng = random.Random(os.getpid())
    for attempt in range(KILLS):
        run_dir = tmp_path / f"run{attempt}"
        child = subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(run_dir)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        while not any(p.stat().st_size for p in run_dir.glob("*.jsonl*")):
            time.sleep(0.01)  # the first flush has landed
        time.sleep(rng.uniform(0.05, 1.2))  # lands mid-write, mid-flush or mid-seal
        child.send_signal(signal.SIGKILL)
        child.wait()
        got = read_run(run_dir)
        assert got.corrupt == 0
        seqs = sorted(e.seq for e in got.events)
        assert seqs, "the first flush was on disk before the kill"
        assert seqs == list(range(1, len(seqs) + 1)), "a gap: a flushed event was lost"
        steps = [e.step for e in got.events if hasattr(e, "step")]
        assert sorted(steps) == list(range(len(steps)))


SIGTERM_INSIDE_FLUSH = """
import os, signal, sys
from runar.events import MetricsLogged
from runar.journal import JournalWriter
from runar.journal.policy import FlushPolicy

writer = JournalWriter(sys.argv[1], "run", role="sdk",
                       policy=FlushPolicy(flush_interval_s=3600, fsync_interval_s=3600))
encode = writer._encode_batch
def encode_after_sigterm(batch):
    # SIGTERM lands while flush() holds a numbered batch it has not encoded yet
    writer._encode_batch = encode
    os.kill(os.getpid(), signal.SIGTERM)
    encode(batch)
writer._encode_batch = encode_after_sigterm
for i in range(100):
    writer.append(MetricsLogged(values={"i": float(i)}, step=i))
writer.flush()
print("survived", flush=True)
"""


def test_sigterm_inside_a_flush_keeps_the_batch_that_flush_holds(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_INSIDE_FLUSH, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    steps = [e.step for e in read_run(run_dir).events if isinstance(e, MetricsLogged)]
    assert steps == list(range(100))


WRITER_OPENED_ON_A_THREAD = """
import os, signal, sys, threading, time
from runar.events import MetricsLogged
from runar.journal import JournalWriter
from runar.journal.policy import FlushPolicy
from runar.journal.process_hooks import take_sigterm

opened = []
policy = FlushPolicy(flush_interval_s=3600, fsync_interval_s=3600)
thread = threading.Thread(
    target=lambda: opened.append(JournalWriter(sys.argv[1], "run", role="runner", policy=policy))
)
thread.start()
thread.join()
for i in range(10):
    opened[0].append(MetricsLogged(values={"i": float(i)}, step=i))
if sys.argv[2] == "take":
    take_sigterm()  # what the runner does on its main thread once the child is gone
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(30)
"""


@pytest.mark.parametrize("take", [True, False])
def test_a_writer_opened_on_a_thread_flushes_on_sigterm_once_the_main_thread_takes_it(
    tmp_path: Path, take: bool
) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", WRITER_OPENED_ON_A_THREAD, str(run_dir), "take" if take else "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    steps = [e.step for e in read_run(run_dir).events if isinstance(e, MetricsLogged)]
    assert steps == (list(range(10)) if take else [])  # a thread alone cannot take SIGTERM
