"""Command start-up on 10,000 runs, whole process, against `python -c pass`: ls, show, logs,
diff and help (replayed from the help cache after the first time; the first time is a row
of its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import Final

from harness import Result, best_of
from stores import WORK, synthetic_store

from runar.projector import catch_up
from runar.store import Store

RUNS: Final = 10_000
TARGET_S: Final = 0.300
TARGET_ONE_RUN_S: Final = 0.150  # show, logs, diff and help (issue 18)
REPEAT: Final = 7


def _timed(args: list[str], env: dict[str, str], fresh_cache: bool = False) -> float:
    def once() -> None:
        if fresh_cache:  # the help cache emptied first: typer renders it
            shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
        subprocess.run(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )

    once()  # warm the page cache, .pyc files and the help cache: the figure is the steady state
    return best_of(once, repeat=REPEAT)


def _row(name: str, seconds: float, baseline: float, target: float | None) -> Result:
    return Result(
        name,
        f"{seconds * 1e3:.0f} ms",
        f"{baseline * 1e3:.0f} ms (python -c pass)",
        f"{seconds / baseline:.1f}x",
        "—" if target is None else f"<= {target * 1e3:.0f} ms",
        None if target is None else seconds <= target,
    )


def run() -> list[Result]:
    store: Store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)  # the views exist, as after any earlier command
    env = {**os.environ, "RUNAR_DIR": str(store.root), "COLUMNS": "120"}
    # as installed for a user: bytecode cached (kept out of the source tree)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    ids = store.run_ids()
    baseline = _timed([sys.executable, "-c", "pass"], env)
    one = TARGET_ONE_RUN_S
    cases = [
        ("runar ls, 10,000 runs", ["ls"], TARGET_S),
        ("runar ls --json, 10,000 runs", ["ls", "--json"], TARGET_S),
        (
            "runar ls --group-by config.lr, 10,000 runs",
            ["ls", "--group-by", "config.lr", "--columns", "metrics.loss"],
            None,
        ),
        ("runar show <id>, 10,000 runs", ["show", ids[0]], one),
        ("runar show <id> --json, 10,000 runs", ["show", ids[0], "--json"], one),
        ("runar logs <id>, 10,000 runs", ["logs", ids[0]], one),
        ("runar diff <a> <b>, 10,000 runs", ["diff", ids[0], ids[1]], one),
        ("runar --help", ["--help"], one),
        ("runar show --help", ["show", "--help"], one),
        ("runar ls --help", ["ls", "--help"], one),
    ]
    rows: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="runar-bench-cache-") as cache:
        env["XDG_CACHE_HOME"] = cache
        for name, args, target in cases:
            seconds = _timed([sys.executable, "-m", "runar", *args], env)
            rows.append(_row(name, seconds, baseline, target))
        first = _timed([sys.executable, "-m", "runar", "--help"], env, fresh_cache=True)
        rows.append(_row("runar --help, first time (typer renders it)", first, baseline, None))
    context = _timed([sys.executable, "-c", "import typer"], env)
    rows.append(_row("import typer (context)", context, baseline, None))
    return rows
