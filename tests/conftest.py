"""Shared fixtures: every test gets its own real store in a temp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from runar.store import Store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store; RUNAR_DIR points at it so subprocesses and the SDK find it."""
    root = tmp_path / ".runar"
    monkeypatch.setenv("RUNAR_DIR", str(root))
    monkeypatch.delenv("RUNAR_RUN_ID", raising=False)
    monkeypatch.delenv("RUNAR_INDEX_DIR", raising=False)
    monkeypatch.setenv("RUNAR_FLUSH_INTERVAL", os.environ.get("RUNAR_FLUSH_INTERVAL", "0.05"))
    yield Store(root).create()
