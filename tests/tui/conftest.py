"""Fixtures: a real store of three runs, and the dashboard app with a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runar.store import Store
from runar.tui.app import RunarApp

from .helpers import NOW_S, NS, RUN_A, RUN_B, RUN_C, T0, add_artifacts, run_events, write_events


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runs_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Three runs: a completed baseline, a failed one and one still running (by this process)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    write_events(
        store,
        RUN_A,
        run_events(RUN_A, "baseline", T0, tags=("baseline",)) + add_artifacts(store, RUN_A, T0),
    )
    write_events(
        store,
        RUN_B,
        run_events(RUN_B, "big-lr", T0 + 3600 * NS, status="failed", lr=0.1, final_acc=0.5),
    )
    write_events(
        store,
        RUN_C,
        run_events(
            RUN_C, "live", T0 + 7200 * NS, status=None, lr=3e-4, final_acc=0.95, tags=("gpu",)
        ),
    )
    return store


@pytest.fixture
def make_app() -> Iterator[Callable[..., RunarApp]]:
    """RunarApp factory with the frozen clock and a recording file opener."""
    opened: list[Path] = []

    def factory(store: Store, watch: bool = False) -> RunarApp:
        app = RunarApp(store, clock=lambda: NOW_S, open_file=opened.append, watch=watch)
        app.opened = opened  # type: ignore[attr-defined]
        app.store_label = "~/project/.runar"
        return app

    yield factory
