"""`runar ls --where` over 10,000 runs, whole process, against `runar ls` in the same run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from bench_cli import REPEAT, _timed
from harness import Result
from stores import WORK, synthetic_store

from runar.projector import catch_up
from runar.store import Store

RUNS: Final = 10_000
TARGET_S: Final = 0.100
QUERY: Final = "config.lr < 1e-3 and metrics.acc > 0.9"


def run() -> list[Result]:
    store: Store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)  # the views exist, as after any earlier command
    env = {**os.environ, "RUNAR_DIR": str(store.root), "COLUMNS": "120"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as installed for a user
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    baseline = _timed([sys.executable, "-m", "runar", "ls"], env)
    cases = [
        (f"runar ls --where '{QUERY}', 10,000 runs", ["--where", QUERY], TARGET_S),
        ("… --sort -best(metrics.acc)", ["--where", QUERY, "--sort", "-best(metrics.acc)"], None),
        ("… short form lr<1e-3 acc>0.9", ["--where", "lr<1e-3 acc>0.9"], None),
        ("… created > 2d ago or tag:sweep", ["--where", "created > 2d ago or tag:sweep"], None),
    ]
    timings = [
        (name, _timed([sys.executable, "-m", "runar", "ls", *args], env), target)
        for name, args, target in cases
    ]
    timings.append(("… the first query after a change (columns rebuilt)", _cold(store, env), None))
    timings.append(
        ("import polars (context)", _timed([sys.executable, "-c", "import polars"], env), None)
    )
    rows = []
    for name, seconds, target in timings:
        rows.append(
            Result(
                name,
                f"{seconds * 1e3:.0f} ms",
                f"{baseline * 1e3:.0f} ms (runar ls)",
                f"{seconds / baseline:.1f}x",
                "—" if target is None else f"<= {target * 1e3:.0f} ms",
                None if target is None else seconds <= target,
            )
        )
    return rows


def _cold(store: Store, env: dict[str, str]) -> float:
    """`runar ls --where` with index/query/ deleted first: what a query costs after a run."""
    folder = Path(store.index_dir) / "query"
    best = float("inf")
    for _ in range(REPEAT):
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "runar", "ls", "--where", QUERY],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        best = min(best, time.perf_counter() - start)
    return best
