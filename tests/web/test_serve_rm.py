"""`runar rm --force` of a run that `runar serve --write` is writing, with the real CLI
on both sides: one line naming the run, once; the run stays deleted; other runs lose nothing."""

from __future__ import annotations

import time

import httpx
import pytest

from runar.events import MetricsLogged
from runar.ids import short
from runar.journal import read_run
from runar.store import Store
from runar.web.tokens import TokenBook
from tests.web.write_helpers import runar_cli, server_process


def _post(client: httpx.Client, run_id: str, step: int) -> int:
    reply = client.post(f"/api/runs/{run_id}/metrics", json={"step": step, "values": {"x": step}})
    return reply.status_code


@pytest.mark.timeout(120)
@pytest.mark.parametrize("noticed", ["at shutdown", "while serving"])
def test_a_run_deleted_while_written_is_said_once_and_stays_deleted(tmp_path, noticed):
    store = Store(tmp_path / ".runar").create()
    _, secret = TokenBook(store).create("ci", "write")
    # "while serving": fsyncs every flush, so the writer finds the deleted segment at once
    env = {"RUNAR_FSYNC_INTERVAL": "0" if noticed == "while serving" else "3600"}
    with server_process(store, env) as server:
        auth = {"authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=server.base, headers=auth, timeout=20) as c:
            victim = c.post("/api/runs", json={"name": "victim"}).json()["id"]
            other = c.post("/api/runs", json={"name": "other"}).json()["id"]
            kept = [s for s in range(5) if _post(c, other, s) == 200]
            assert all(_post(c, victim, s) == 200 for s in range(5))
            runar_cli(store, "rm", "--force", "--yes", victim)
            assert _post(c, victim, 5) == 404
            kept += [s for s in range(5, 10) if _post(c, other, s) == 200]
            if noticed == "while serving":
                time.sleep(1.0)  # several flushes of the victim's writer
        err = server.stop()
    said = [line for line in err.splitlines() if line.strip()]
    assert said == [
        f"runar serve: run {short(victim)} was deleted while this server wrote it; "
        "its writes since the deletion are dropped"
    ], err
    assert not store.run_dir(victim).exists()  # not brought back by the writer's retry
    assert victim not in runar_cli(store, "ls", "--json")
    steps = [e.step for e in read_run(store.run_dir(other)).events if type(e) is MetricsLogged]
    assert kept == list(range(10)) and steps == kept
