"""`import runar` stays light: nothing heavy is loaded until the first call records."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import runar

HEAVY = ("polars", "textual", "typer", "lmdb", "git", "numpy", "msgspec", "runar.journal")


@pytest.mark.timeout(60)
def test_import_runar_loads_nothing_heavy() -> None:
    code = f"import sys, json, runar; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []


def test_the_sdk_names_are_exported() -> None:
    names = {"log", "config", "save", "tag", "note", "step", "Run", "experiment", "init", "finish"}
    assert names <= set(runar.__all__)
    assert all(callable(getattr(runar, name)) for name in names)
    assert runar.__version__
