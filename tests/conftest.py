"""Shared fixtures: every test gets its own real store in a temp dir."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
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


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a real tmpfs of a given size ('1m'); skips where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)
