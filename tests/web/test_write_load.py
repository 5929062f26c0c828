"""Retries, concurrency and kill -9: every acknowledged write is in the log exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from runar.events import MetricsLogged, NoteAdded, RunStarted, StepStarted
from runar.journal import read_run
from runar.web.tokens import TokenBook
from runar.web.write_session import Writers
from tests.web.write_helpers import writable_server

CLIENTS = 8
LOAD_S = 2.0
BATCH = 100


def _points(events) -> Counter[tuple[int, int]]:
    return Counter(
        (int(e.values["c"]), int(e.values["i"])) for e in events if isinstance(e, MetricsLogged)
    )


def _batch(client: int, start: int) -> str:
    return "".join(
        json.dumps({"step": start + k, "values": {"c": client, "i": start + k}}) + "\n"
        for k in range(BATCH)
    )


def test_a_thousand_retries_of_one_write_record_it_once(store):
    with writable_server(store) as w, w.client() as c:
        run_id = c.post("/api/runs", json={}).json()["id"]
        key = {"idempotency-key": "note-1"}
        replies = [
            c.post(f"/api/runs/{run_id}/notes", json={"text": "once"}, headers=key)
            for _ in range(1000)
        ]
        assert {r.status_code for r in replies} == {200}
        assert {r.content for r in replies} == {replies[0].content}
        assert all(r.headers.get("idempotent-replayed") == "true" for r in replies[1:])

        def retry(_: int) -> int:  # concurrent retries wait for the first reply
            with w.client() as own:
                headers = {"idempotency-key": "note-2"}
                return own.post(
                    f"/api/runs/{run_id}/notes", json={"text": "twice?"}, headers=headers
                ).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(retry, range(32))) == {200}
        created = {
            c.post("/api/runs", json={"name": "r"}, headers={"idempotency-key": "run-1"}).text
            for _ in range(5)
        }
        assert len(created) == 1  # the same run id every time
    notes = [e.text for e in w.events(run_id) if isinstance(e, NoteAdded)]
    assert notes == ["once", "twice?"]
    assert len([p for p in store.run_ids() if p != run_id]) == 1


def test_concurrent_clients_every_accepted_point_exactly_once(store):
    with writable_server(store) as w:
        with w.client() as c:
            run_id = c.post("/api/runs", json={"name": "load"}).json()["id"]
        accepted: list[tuple[int, int]] = []
        lock = threading.Lock()
        deadline = time.monotonic() + LOAD_S

        def client(n: int) -> int:
            sent = 0
            with w.client() as own:
                while time.monotonic() < deadline:
                    reply = own.post(
                        f"/api/runs/{run_id}/metrics",
                        content=_batch(n, sent),
                        headers={"content-type": "application/x-ndjson"},
                    )
                    if reply.status_code == 200:
                        with lock:
                            accepted.extend((n, sent + k) for k in range(BATCH))
                    sent += BATCH
            return sent

        with ThreadPoolExecutor(CLIENTS) as pool:
            sent = sum(pool.map(client, range(CLIENTS)))
    logged = _points(read_run(store.run_dir(run_id)).events)
    assert len(accepted) > CLIENTS * BATCH  # every client got through at least once
    assert all(logged[p] == 1 for p in accepted)
    assert sum(logged.values()) == len(accepted) <= sent  # and nothing unacknowledged
    segments = sorted(p.name for p in store.run_dir(run_id).iterdir() if p.is_file())
    assert all(name.endswith(".jsonl.zst") for name in segments)  # sealed at shutdown


def test_kill_9_loses_only_unacknowledged_writes(store, tmp_path):
    _, token = TokenBook(store).create("ci", "write")
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    server = subprocess.Popen(
        [sys.executable, "-m", "runar", "serve", "--write", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = server.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", line).group(1)
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            for _ in range(600):  # uvicorn may still be starting
                try:
                    run_id = c.post("/api/runs", json={}).json()["id"]
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            acked: list[tuple[int, int]] = []
            stop = threading.Event()

            def write() -> None:
                sent = 0
                with httpx.Client(base_url=base, headers=headers, timeout=10) as own:
                    while not stop.is_set():
                        try:
                            reply = own.post(
                                f"/api/runs/{run_id}/metrics",
                                content=_batch(0, sent),
                                headers={"content-type": "application/x-ndjson"},
                            )
                        except httpx.TransportError:
                            return
                        if reply.status_code == 200:
                            acked.extend((0, sent + k) for k in range(BATCH))
                        sent += BATCH

            writer = threading.Thread(target=write)
            writer.start()
            deadline = time.monotonic() + 30  # a loaded machine may take a while to answer
            while not acked and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # killed in the middle of the stream of writes
            server.send_signal(signal.SIGKILL)
            server.wait(10)
            stop.set()
            writer.join(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()
        server.stderr.close()
    logged = _points(read_run(store.run_dir(run_id)).events)
    assert acked, "no write was acknowledged before the kill"
    assert all(logged[p] == 1 for p in acked)


def test_idle_writers_are_closed_and_sealed(store):
    writers = Writers(store.runs_dir, idle_s=0.0)
    writer = writers.get("ci", "0" * 16)
    writer.append(NoteAdded(text="x"))
    writer.flush()
    time.sleep(0.01)
    assert writers.sweep() == 1 and len(writers) == 0
    names = [p.name for p in (store.runs_dir / ("0" * 16)).iterdir()]
    assert len(names) == 1 and names[0].endswith(".jsonl.zst")


def test_a_retried_run_or_step_creation_survives_a_server_restart(store):
    key = {"idempotency-key": "nightly-2026-12-02"}
    step_key = {"idempotency-key": "nightly-2026-12-02/a"}
    with writable_server(store) as w, w.client() as c:
        first = c.post("/api/runs", json={"name": "nightly"}, headers=key).json()
        step = c.post(f"/api/runs/{first['id']}/steps", json={"name": "a"}, headers=step_key)
        assert step.status_code == 201
        secret = w.write
    with writable_server(store, token=secret) as w, w.client() as c:
        again = c.post("/api/runs", json={"name": "nightly"}, headers=key).json()
        step_again = c.post(f"/api/runs/{first['id']}/steps", json={"name": "a"}, headers=step_key)
    assert again == first
    assert step_again.json() == step.json()
    events = read_run(store.run_dir(first["id"])).events
    assert sum(isinstance(e, RunStarted) for e in events) == 1
    assert sum(isinstance(e, StepStarted) for e in events) == 1
    assert store.run_ids() == [first["id"]]
