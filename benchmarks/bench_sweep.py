"""`runar sweep` cost: its points against the same runs started one by one with `runar`.

A point is a normal runner run, so the sweep's own cost is its start-up, its record
and reading each point's outcome from the views. Points sleep, so `-j 2` should take
about half the time of `-j 1` even on a busy two-core machine.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from harness import Result, best_of

POINTS: Final = 4
SLEEP_S: Final = 1.0  # long enough that -j 2 measures overlap, not start-up CPU
REPEAT: Final = 2
TARGET_EXTRA_MS: Final = 150.0  # per point, over `runar script.py` run by hand
TARGET_PARALLEL: Final = 0.65  # -j 2 wall time over -j 1's


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="runar-bench-sweep-") as tmp:
        folder = Path(tmp)
        (folder / "script.py").write_text(f"import time, sys\ntime.sleep({SLEEP_S})\n")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["RUNAR_DIR"] = str(folder / ".runar")
        names = (f"b{i}" for i in itertools.count())

        def call(command: list[str]) -> None:
            subprocess.run(
                command, cwd=folder, env=env, check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        def by_hand() -> None:
            for i in range(POINTS):
                call([sys.executable, "-m", "runar", "script.py", "--x", str(i)])

        def sweep(jobs: int) -> None:
            call([sys.executable, "-m", "runar", "sweep", "script.py", "--x", f"0..{POINTS - 1}",
                  "-j", str(jobs), "-n", next(names)])  # fmt: skip

        by_hand()  # warm the page cache and the .pyc files
        hand = best_of(by_hand, repeat=REPEAT)
        one = best_of(lambda: sweep(1), repeat=REPEAT)
        two = best_of(lambda: sweep(2), repeat=REPEAT)
    extra_ms = (one - hand) / POINTS * 1e3
    return [
        Result(
            f"runar sweep -j 1, {POINTS} points of a {SLEEP_S}s script",
            f"{one:.2f} s ({extra_ms:+.0f} ms/point)",
            f"{hand:.2f} s ({POINTS}x runar script.py)",
            f"{one / hand:.2f}x",
            f"<= +{TARGET_EXTRA_MS:.0f} ms/point",
            extra_ms <= TARGET_EXTRA_MS,
        ),
        Result(
            f"runar sweep -j 2, {POINTS} points of a {SLEEP_S}s script",
            f"{two:.2f} s",
            f"{one:.2f} s (-j 1)",
            f"{two / one:.2f}x",
            f"<= {TARGET_PARALLEL}x",
            two / one <= TARGET_PARALLEL,
        ),
    ]
