"""Shared by the write API tests: a store with tokens served with --write on a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from runar.events import AnyEvent
from runar.journal import read_run
from runar.store import Store
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from runar.web.tokens import TokenBook
from runar.web.write import Limits, WriteApi


@dataclass
class Writable:
    base: str
    store: Store
    api: WriteApi
    write: str  # a write token's secret (name "ci")
    read: str  # a read token's secret (name "dash")
    vision: str  # a write:vision token's secret (name "vis")

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {token or self.write}"} if token != "" else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=20.0)

    def events(self, run_id: str) -> list[AnyEvent]:
        return [e for e in read_run(self.store.run_dir(run_id)).events]

    def files(self) -> list[str]:
        """Every file under runs/, to show that a refused request wrote nothing."""
        root = self.store.runs_dir
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@contextmanager
def writable_server(
    store: Store, limits: Limits | None = None, token: str | None = None
) -> Iterator[Writable]:
    """Serve ``store`` with --write; ``token``: the tokens exist already (a restart)."""
    book = TokenBook(store)
    if token is None:
        _, write = book.create("ci", "write")
        _, read = book.create("dash", "read")
        _, vision = book.create("vis", "write:vision")
    else:
        write, read, vision = token, "", ""
    api = WriteApi(store, limits)
    with serving_in_thread(create_app(store, writes=api)) as base:
        yield Writable(base, store, api, write, read, vision)
