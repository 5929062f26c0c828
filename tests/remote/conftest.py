"""One real S3-protocol server (moto) on loopback per session; a fresh bucket per test."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store

_buckets = itertools.count()


@dataclass
class S3Server:
    """The moto server's endpoint."""

    endpoint: str

    def make_bucket(self, name: str) -> None:
        httpx.put(f"{self.endpoint}/{name}").raise_for_status()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield S3Server(f"http://{host}:{port}")
    server.stop()


@pytest.fixture
def bucket_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<fresh bucket>/team`` with the environment pointing at the test server."""
    name = f"runar-test-{os.getpid()}-{next(_buckets)}"
    s3_server.make_bucket(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name_ in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "RUNAR_REMOTE"):
        monkeypatch.delenv(name_, raising=False)
    return f"s3://{name}/team"


def make_store(path: Path) -> Store:
    return Store(path / ".runar").create()


def write_run(
    store: Store,
    steps: int = 20,
    run_id: str | None = None,
    role: str = "test",
    finish: bool = True,
    close: bool = True,
) -> str:
    """A run with ``steps`` metrics from one writer; sealed when ``close``."""
    run_id = run_id or new_run_id()
    w = JournalWriter(store.run_dir(run_id), run_id, role=role)
    w.append(RunStarted(run_id=run_id, name=f"run-{run_id[-6:]}"))
    for step in range(steps):
        w.append(MetricsLogged(values={"loss": 1 / (step + 1)}, step=step))
    if finish:
        w.append(RunFinished(status="completed", exit_code=0))
    if close:
        w.close()
    else:
        w.flush(durable=True)
    return run_id
