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


def test_what_runs_before_the_child_starts_loads_no_journal() -> None:
    # the child is spawned before msgspec and the journal load (they load while it runs)
    code = (
        "import sys; import runar.cli.runner, runar.runner.session, runar.runner.git_state; "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] == 'msgspec' "
        "or m.startswith(('runar.journal', 'runar.events', 'runar.codec'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []


def test_what_runs_before_the_child_starts_loads_no_dataclasses_sdk_or_hashing() -> None:
    # each of these cost milliseconds before the child could start (records.py says why)
    avoided = ("dataclasses", "inspect", "hashlib", "platform", "socket", "runar.sdk")
    code = (
        "import sys; import runar.cli.runner, runar.runner.session, runar.runner.git_state, "
        "runar.runner.request, runar.runner.header, runar.runner.launch; "
        f"print(' '.join(m for m in sys.modules if m.startswith({avoided!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []
