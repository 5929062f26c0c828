"""`runar rerun --env recorded` once its env is cached, against `runar rerun --env current`.

Both are whole `runar rerun` processes of the same recorded run, timed in the same run
(best of N). The difference is what a cached recorded environment costs: the lock, the
marker, reading the env's packages and starting its interpreter. The first build (uv, one
small pin, from uv's cache or the index) is shown for context.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Final

from harness import Result, best_of

REPEAT: Final = 5
TARGET_MS: Final = 300.0
PIN: Final = {"six": "1.16.0"}
SCRIPT: Final = "import six\nprint(six.__version__)\n"


def _record(folder: Path, store: Path) -> None:
    """A run recorded as the runner records it, but with one pin (not this venv's hundreds)."""
    code = f"""
import os, sys
from pathlib import Path
from runar.events import RunFinished, RunStarted
from runar.journal import JournalWriter
from runar.runner import code_snapshot, provenance
from runar.runner.git_state import capture_git
from runar.store import Store
store = Store(Path({str(store)!r})).create()
from runar.ids import new_run_id
run_id = new_run_id()
git = capture_git(Path.cwd(), run_id)
command = [sys.executable, "train.py"]
with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
    w.append(RunStarted(run_id=run_id, name="orig", source="runner", argv=["train.py"],
        command=command, cwd=os.getcwd(), python=provenance.python_version(),
        git=git.state, packages={PIN!r}))
    w.flush()
    code_snapshot.keep(store.code_dir(run_id), git, command)
    w.append(RunFinished(status="completed", exit_code=0))
"""
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="runar-bench-") as tmp:
        folder = Path(tmp) / "repo"
        folder.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
        (folder / "train.py").write_text(SCRIPT)
        store = Path(tmp) / ".runar"
        _record(folder, store)
        env = {**os.environ, "RUNAR_DIR": str(store), "RUNAR_SAMPLE_INTERVAL": "10"}

        def rerun(mode: str) -> None:
            subprocess.run(
                [sys.executable, "-m", "runar", "rerun", "orig", "--env", mode],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )

        started = time.perf_counter()
        rerun("recorded")  # builds the env
        build_s = time.perf_counter() - started
        rerun("current")  # warms the checkout cache and .pyc files
        recorded_s = best_of(lambda: rerun("recorded"), repeat=REPEAT)
        current_s = best_of(lambda: rerun("current"), repeat=REPEAT)
    extra_ms = (recorded_s - current_s) * 1e3
    return [
        Result(
            "rerun --env recorded, env cached",
            f"{recorded_s * 1e3:.0f} ms (+{extra_ms:.0f} ms; first build {build_s:.1f} s)",
            f"{current_s * 1e3:.0f} ms (--env current)",
            f"{recorded_s / current_s:.2f}x",
            f"<= +{TARGET_MS:.0f} ms",
            extra_ms <= TARGET_MS,
        )
    ]
