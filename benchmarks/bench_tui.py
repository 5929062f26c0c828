"""Dashboard start-up: whole process until the first page of 10,000 runs is painted.

`runar` with no arguments only opens the dashboard on a terminal, so the benchmark
runs what the CLI runs there (``runar.tui.app.run``) headless, with
RUNAR_TUI_EXIT_AFTER_PAINT set so the app quits once the first rows are on screen.
The baseline is importing Textual's App in the same run: the floor any Textual
dashboard pays before drawing anything.
"""

from __future__ import annotations

import os
import sys
from typing import Final

from bench_cli import _timed
from harness import Result
from stores import WORK, synthetic_store

from runar.projector import catch_up
from runar.tui.app import ENV_EXIT_AFTER_PAINT

RUNS: Final = 10_000
TARGET_S: Final = 1.0
DASHBOARD: Final = (
    "from runar.store import Store; from runar.tui.app import run; run(Store.discover())"
)
BASELINE: Final = "import textual.app"


def run() -> list[Result]:
    store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)  # the views exist, as after any earlier command
    env = {**os.environ, "RUNAR_DIR": str(store.root), ENV_EXIT_AFTER_PAINT: "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    baseline = _timed([sys.executable, "-c", BASELINE], env)
    seconds = _timed([sys.executable, "-c", DASHBOARD], env)
    return [
        Result(
            "runar (dashboard) first paint, 10,000 runs",
            f"{seconds * 1e3:.0f} ms",
            f"{baseline * 1e3:.0f} ms ({BASELINE})",
            f"{seconds / baseline:.1f}x",
            f"<= {TARGET_S * 1e3:.0f} ms",
            seconds <= TARGET_S,
        )
    ]
