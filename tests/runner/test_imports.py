"""The runner's start-up path stays light: nothing heavy before the child starts."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "textual", "typer", "lmdb", "git", "psutil", "pynvml", "zstandard")


def test_runner_path_imports_nothing_heavy() -> None:
    code = (
        "import sys; import runar.cli.runner, runar.runner.session; "
        f"print(' '.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []
