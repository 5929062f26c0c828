"""kill -9 at random points of SDK and runner processes logging heavily.

Figure: kill points, unreadable stores (0), corrupt events read (0), and the largest
loss seen, in steps and in seconds of logging, against the flush window.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Final

import psutil
import pytest

from runar.events import MetricsLogged
from runar.journal import read_run
from runar.store import Store
from runar.views import open_views

from .conftest import FULL, Figure, size

FLUSH_INTERVAL_S: Final = 0.05
SLACK_S: Final = 1.0  # a shared 2-core machine can stall the flush thread this long
PARALLEL: Final = 4
MAX_DELAY_S: Final = 1.5 if FULL else 0.5  # after the first flush; sealing starts at 16 MiB
TRAIN: Final = """
import sys, time
import runar
step, last = 0, 0.0
while True:
    runar.log({"loss": 1 / (step + 1), "acc": step * 1e-6}, step=step)
    if step % 64 == 0 and time.monotonic() - last > 0.01:
        last = time.monotonic()
        print(step, flush=True)
    step += 1
"""


class Child:
    """A process that prints the steps it has logged; killed with all its descendants."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, text=True, env=env, cwd=cwd, start_new_session=True
        )
        self.reported: list[tuple[float, int]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip().isdigit():
                self.reported.append((time.monotonic(), int(line)))

    def kill_after(self, delay: float) -> float:
        deadline = time.monotonic() + 30
        while not self.reported and time.monotonic() < deadline:
            time.sleep(0.01)  # logging has begun
        time.sleep(delay)
        # the runner puts its script in a session of its own: kill the whole tree at once,
        # as an OOM killer or a lost machine would
        tree = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(True)]
        killed_at = time.monotonic()
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(timeout=5)
        return killed_at

    def surely_flushed(self, killed_at: float) -> int:
        """The highest step reported long enough before the kill to be on disk."""
        old = [step for at, step in self.reported if at <= killed_at - FLUSH_INTERVAL_S - SLACK_S]
        return max(old, default=-1)


def check_store(root: Path) -> tuple[int, list[int]]:
    """Corrupt count and sorted metric steps of the store's run (none if killed before any
    flush), after checking that the views open and agree with the log."""
    store = Store(root)
    run_ids = store.run_ids()
    assert len(run_ids) <= 1
    if not run_ids:
        return 0, []
    (run_id,) = run_ids
    got = read_run(store.run_dir(run_id))
    for writer in {e.writer for e in got.events}:
        seqs = sorted(e.seq for e in got.events if e.writer == writer)
        assert seqs == list(range(1, len(seqs) + 1)), "a gap: an event before the kill was lost"
    with open_views(store) as views:  # the store stays usable: views open and agree
        assert views.get(run_id).events == len(got.events)
    steps = sorted(
        e.step for e in got.events if isinstance(e, MetricsLogged) and e.step is not None
    )
    return got.corrupt, steps


def kill_many(tmp_path: Path, kills: int, command: list[str], figure: Figure, kind: str) -> None:
    rng = random.Random(os.getpid())
    env = {**os.environ, "RUNAR_FLUSH_INTERVAL": str(FLUSH_INTERVAL_S)}
    env.pop("RUNAR_RUN_ID", None)
    corrupt, worst_lost, worst_window = 0, 0, 0.0
    for batch in range(0, kills, PARALLEL):
        roots, children = [], []
        for n in range(batch, min(batch + PARALLEL, kills)):
            root = tmp_path / f"k{n}" / ".runar"
            roots.append(root)
            root.parent.mkdir()  # outside any git repo: no snapshot of the checkout
            children.append(Child(command, {**env, "RUNAR_DIR": str(root)}, root.parent))
        for child, root in zip(children, roots, strict=True):
            killed_at = child.kill_after(rng.uniform(0.0, MAX_DELAY_S))
            bad, steps = check_store(root)
            corrupt += bad
            assert steps == list(range(len(steps))), "metric steps must form a prefix"
            must_have = child.surely_flushed(killed_at)
            assert len(steps) > must_have, f"step {must_have} was logged > 1 s before the kill"
            last_reported = max((s for _, s in child.reported), default=-1)
            worst_lost = max(worst_lost, last_reported + 1 - len(steps))
            on_disk = [at for at, s in child.reported if s < len(steps)]
            if on_disk:
                worst_window = max(worst_window, killed_at - max(on_disk))
    assert corrupt == 0
    figure(
        kind=kind,
        kill_points=kills,
        unreadable_stores=0,
        corrupt_events=corrupt,
        max_steps_lost_after_last_report=worst_lost,
        max_loss_window_s=round(worst_window, 3),
        flush_interval_s=FLUSH_INTERVAL_S,
    )


@pytest.mark.timeout(3600 if FULL else 600)
def test_kill_9_sdk_processes(tmp_path: Path, clean_env: Path, figure: Figure) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    kill_many(tmp_path, size(12, 140), [sys.executable, str(script)], figure, "sdk")


@pytest.mark.timeout(3600 if FULL else 600)
def test_kill_9_runner_processes(tmp_path: Path, clean_env: Path, figure: Figure) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    command = [sys.executable, "-m", "runar", str(script)]
    kill_many(tmp_path, size(8, 80), command, figure, "runner")
