"""Shared by the write API tests: a store with tokens served with --write on a real uvicorn."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
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


@dataclass
class ServerProcess:
    """`runar serve --write` as a user starts it: its own process, its own output."""

    base: str
    process: subprocess.Popen[str]

    def stop(self) -> str:
        """Ctrl-C, as a user stops it; its stderr."""
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=30)
        return err


def runar_cli(store: Store, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the real CLI on ``store``; its stdout (a failure shows its stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "runar", *args],
        env={**os.environ, "RUNAR_DIR": str(store.root), **(env or {})},
        cwd=store.root.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def server_process(store: Store, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """Start `runar serve --write --port 0` on ``store``; stopped (if still up) on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "runar", "serve", "--write", "--port", "0"],
        env={**os.environ, "RUNAR_DIR": str(store.root), **(env or {})},
        cwd=store.root.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "runar: serving ... at http://127.0.0.1:PORT/ ..."
    found = re.search(r"(http://127\.0\.0\.1:\d+)/", first)
    assert found, first + process.stderr.read() if process.stderr else first
    base = found.group(1)
    deadline = time.monotonic() + 30
    while True:  # the URL is printed before uvicorn listens
        try:
            httpx.get(base + "/api/projects", timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "runar serve did not start"
            time.sleep(0.05)
    served = ServerProcess(base, process)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
