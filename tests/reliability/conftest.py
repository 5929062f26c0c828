"""Reliability suite: each test prints its figure and appends it to ``figures.json``.

A fast subset runs by default (part of the normal test command, < 90 s on 2 cores).
The full sizes the issue asks for (>= 200 kill points, >= 10,000 corruptions, 8 writers
x 2 readers for 30 s) run with:

    RUNAR_RELIABILITY_FULL=1 pytest -s -p no:xdist tests/reliability

Figures land in ``<pytest basetemp>/figures.json`` as well as on stdout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

FULL: Final = os.environ.get("RUNAR_RELIABILITY_FULL") == "1"
Figure = Callable[..., None]


def size(ci: int, full: int) -> int:
    """The CI size by default, the issue's size with RUNAR_RELIABILITY_FULL=1."""
    return full if FULL else ci


@pytest.fixture
def figure(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Figure:
    """Report a test's figures: printed (see them with -s) and kept in figures.json."""
    sink = tmp_path_factory.getbasetemp() / "figures.json"

    def report(**values: object) -> None:
        record = {"test": request.node.name, "full": FULL, **values}
        print(f"\nFIGURE {json.dumps(record)}")
        with open(sink, "a") as out:
            out.write(json.dumps(record) + "\n")

    return report


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No store or run inherited from the environment; returns a fresh folder."""
    for name in ("RUNAR_DIR", "RUNAR_RUN_ID", "RUNAR_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # relocated indexes land here
    return tmp_path
