"""`runar ls --where` over 10,000 runs, whole process, against `runar ls` in the same run."""

from __future__ import annotations

import os
import sys
from typing import Final

from bench_cli import _timed
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
    rows = []
    for name, args, target in cases:
        seconds = _timed([sys.executable, "-m", "runar", "ls", *args], env)
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
