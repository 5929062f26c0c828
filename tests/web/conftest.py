"""Fixtures for the web tests: a REAL uvicorn on a free loopback port over a real store.

``served`` (function scope) writes a few real runs into a fresh store in a tmp dir
(through ``JournalWriter``, by ``tests.cli.helpers.write_run``), starts
``runar.web.app.create_app(store)`` on uvicorn in a thread and yields a ``Served``:

    served.base    "http://127.0.0.1:PORT" (no trailing slash)
    served.store   the Store; write more runs into it while the server runs
    served.runs    run name → run id of the runs written up front:
                   "alpha"  tag baseline, lr 0.001, loss 1.0 then NaN, acc 0.5 then 0.7,
                            an artifact model.pt, stdout and stderr lines
                   "beta"   lr 0.1, loss +inf, failed
                   "xss"    name, tag, config key/value and output all carry
                            <script> and "><img onerror=...> strings (see XSS)

``serve_app`` starts a server for any app (custom guard, ping interval) the same way.
The browser tests of the front end use ``served`` as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest

from runar.store import Store
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.cli.helpers import write_run

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@dataclass
class Served:
    base: str
    store: Store
    runs: dict[str, str]


def fill(store: Store) -> dict[str, str]:
    """The demo runs every web test starts from."""
    return {
        "alpha": write_run(
            store,
            name="alpha",
            tags=["baseline"],
            config={"lr": 0.001, "model": {"layers": 2}},
            metrics=[{"loss": 1.0, "acc": 0.5}, {"loss": float("nan"), "acc": 0.7}],
            artifact=b"weights",
        ),
        "beta": write_run(
            store,
            name="beta",
            config={"lr": 0.1},
            metrics=[{"loss": float("inf")}],
            status="failed",
            error="ValueError: bad shape",
        ),
        "xss": write_run(
            store,
            name=XSS,
            tags=[XSS],
            config={XSS: XSS},
            output=[("stdout", XSS + "\n")],
        ),
    }


@pytest.fixture
def serve_app() -> Callable[..., AbstractContextManager[str]]:
    """``with serve_app(app) as base:`` runs any app on a real uvicorn in a thread."""
    return serving_in_thread


@pytest.fixture
def served(store: Store) -> Iterator[Served]:
    runs = fill(store)
    with serving_in_thread(create_app(store)) as base:
        yield Served(base, store, runs)


# The browser tests' fixtures (one Chromium per session, a watched page) live in browser.py.
from tests.web.browser import browser, demo_served, page, page_watch  # noqa: E402, F401
