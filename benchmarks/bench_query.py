"""`runar ls --where` over 10,000 runs, whole process, against `runar ls` in the same run;
with the floor of any command that reads the views (interpreter, msgspec and lmdb, the
catch-up that finds nothing new) as context.

Each figure is the best wall time of REPEAT runs, and beside it the best CPU time
(user + system) of the process: on a machine shared by several busy agents the wall time
is mostly waiting for a core, while the CPU time says what the command itself costs.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from bench_cli import REPEAT
from harness import Result
from stores import WORK, synthetic_store

from runar.projector import catch_up
from runar.store import Store

RUNS: Final = 10_000
TARGET_S: Final = 0.100
QUERY: Final = "config.lr < 1e-3 and metrics.acc > 0.9"
OPEN_VIEWS: Final = (  # as runar ls does it: no cycle collection, the heap frozen at exit
    "import gc\n"
    "gc.disable()\n"
    "from runar.cli.access import current_store\n"
    "from runar.views import open_views\n"
    "with open_views(current_store()):\n"
    "    pass\n"
    "gc.freeze()"
)

Timing = tuple[float, float]  # best wall, best CPU (s)


def _once(args: list[str], env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def _measured(args: list[str], env: dict[str, str], before: str | None = None) -> Timing:
    """Best wall and best CPU time of ``args``; ``before``: a folder deleted before each run."""
    if before is None:
        _once(args, env)  # warm the page cache, the .pyc files and the query columns
    walls, cpus = [], []
    for _ in range(REPEAT):
        if before is not None:
            shutil.rmtree(before, ignore_errors=True)
        wall, cpu = _once(args, env)
        walls.append(wall)
        cpus.append(cpu)
    return min(walls), min(cpus)


def run() -> list[Result]:
    store: Store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)  # the views exist, as after any earlier command
    env = {**os.environ, "RUNAR_DIR": str(store.root), "COLUMNS": "120"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as installed for a user
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    runar = [sys.executable, "-m", "runar", "ls"]
    baseline = _measured(runar, env)
    cases: list[tuple[str, list[str], float | None]] = [
        (f"runar ls --where '{QUERY}', 10,000 runs", ["--where", QUERY], TARGET_S),
        ("… --sort -best(metrics.acc)", ["--where", QUERY, "--sort", "-best(metrics.acc)"], None),
        ("… short form lr<1e-3 acc>0.9", ["--where", "lr<1e-3 acc>0.9"], None),
        ("… created > 2d ago or tag:sweep", ["--where", "created > 2d ago or tag:sweep"], None),
    ]
    timings = [(name, _measured([*runar, *args], env), target) for name, args, target in cases]
    folder = str(Path(store.index_dir) / "query")
    cold = _measured([*runar, "--where", QUERY], env, before=folder)
    timings.append(("… the first query after a change (columns rebuilt)", cold, None))
    context = [
        ("import polars (context)", "import polars"),
        # the floor of any command that reads the views: what ls --where cannot do without
        ("floor: python -c 'import msgspec, lmdb'", "import msgspec, lmdb"),
        ("floor: open the views (imports + catch-up, nothing new)", OPEN_VIEWS),
    ]
    for name, code in context:
        timings.append((name, _measured([sys.executable, "-c", code], env), None))
    rows = []
    for name, (wall, cpu), target in timings:
        rows.append(
            Result(
                name,
                f"{wall * 1e3:.0f} ms (CPU {cpu * 1e3:.0f})",
                f"{baseline[0] * 1e3:.0f} ms (runar ls; CPU {baseline[1] * 1e3:.0f})",
                f"{wall / baseline[0]:.2f}x (CPU {cpu / baseline[1]:.2f}x)",
                "—" if target is None else f"<= {target * 1e3:.0f} ms",
                None if target is None else wall <= target,
            )
        )
    return rows
