"""Command start-up: `runar ls` on 10,000 runs, whole process, against `python -c pass`."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Final

from harness import Result, best_of
from stores import WORK, synthetic_store

from runar.projector import catch_up
from runar.store import Store

RUNS: Final = 10_000
TARGET_S: Final = 0.300
REPEAT: Final = 7


def _timed(args: list[str], env: dict[str, str]) -> float:
    def once() -> None:
        subprocess.run(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )

    once()  # warm the page cache and .pyc files: the figure is the steady state
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
    baseline = _timed([sys.executable, "-c", "pass"], env)
    cases = [
        ("runar ls, 10,000 runs", ["-m", "runar", "ls"], TARGET_S),
        ("runar ls --json, 10,000 runs", ["-m", "runar", "ls", "--json"], TARGET_S),
        (
            "runar ls --group-by config.lr, 10,000 runs",
            ["-m", "runar", "ls", "--group-by", "config.lr", "--columns", "metrics.loss"],
            None,
        ),
        ("runar show <id>, 10,000 runs", ["-m", "runar", "show", store.run_ids()[0]], None),
        ("runar --help (typer + rich)", ["-m", "runar", "--help"], None),
        ("import typer (context)", ["-c", "import typer"], None),
    ]
    return [
        _row(name, _timed([sys.executable, *args], env), baseline, target)
        for name, args, target in cases
    ]
