"""`runar serve --write`: metric points per second in NDJSON batches, and single-point POSTs.

The server is a real `runar serve --write` subprocess (its own interpreter, as in use); the
client is this process, on one keep-alive connection, with the bodies encoded beforehand.
The baseline is an empty Starlette POST endpoint served the same way (same bind, same
uvicorn settings) in another subprocess, measured in the same run.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from harness import Result

from runar.store import Store
from runar.web.tokens import TokenBook

BATCH: Final = 1_000
BATCHED_S: Final = 1.5
SINGLE_REQUESTS: Final = 1_000
ROUNDS: Final = 3
POINTS_TARGET: Final = 100_000
START_TIMEOUT_S: Final = 60.0
EMPTY_SERVER: Final = """
import sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from runar.web.serve import _config, bind, url_for
import uvicorn

async def empty(request):
    await request.body()
    return Response(b'{}', media_type='application/json')

app = Starlette(routes=[Route('/empty', empty, methods=['POST'])])
sock = bind('127.0.0.1', 0)
print('serving at ' + url_for('127.0.0.1', sock.getsockname()[1], None), flush=True)
uvicorn.Server(_config(app, sock)).run(sockets=[sock])
"""


@contextlib.contextmanager
def _server(args: list[str], env: dict[str, str]) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://(127\.0\.0\.1):(\d+)", line)
        if found is None:
            raise RuntimeError(f"the server did not start: {line!r}")
        host, port = found.group(1), int(found.group(2))
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # the URL is printed just before uvicorn accepts
            try:
                http.client.HTTPConnection(host, port, timeout=1).connect()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield host, port
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()


def _post(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> bytes:
    conn.request("POST", path, body=body, headers=headers)
    reply = conn.getresponse()
    data = reply.read()
    if reply.status >= 300:
        raise RuntimeError(f"{path}: {reply.status} {data[:200]!r}")
    return data


def _requests_per_s(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> float:
    """One round of SINGLE_REQUESTS requests, one after the other."""
    start = time.perf_counter()
    for _ in range(SINGLE_REQUESTS):
        _post(conn, path, body, headers)
    return SINGLE_REQUESTS / (time.perf_counter() - start)


def _points_per_s(
    conn: http.client.HTTPConnection, path: str, batches: list[bytes], headers: dict[str, str]
) -> float:
    """One BATCHED_S window of NDJSON batches of BATCH points."""
    sent = 0
    start = time.perf_counter()
    while time.perf_counter() - start < BATCHED_S:
        _post(conn, path, batches[(sent // BATCH) % len(batches)], headers)
        sent += BATCH
    return sent / (time.perf_counter() - start)


def run() -> list[Result]:
    single = b'{"step": 1, "values": {"loss": 0.5}}'
    batches = [
        "".join(
            f'{{"step": {b * BATCH + i}, "values": {{"loss": {1.0 / (i + 1)!r}}}}}\n'
            for i in range(BATCH)
        ).encode()
        for b in range(50)
    ]
    with tempfile.TemporaryDirectory(prefix="runar-bench-write-") as tmp:
        store = Store(Path(tmp) / ".runar").create()
        _, token = TokenBook(store).create("bench", "write")
        env = {**os.environ, "RUNAR_DIR": str(store.root)}
        auth = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        ndjson = {**auth, "content-type": "application/x-ndjson"}
        runar_cmd = [sys.executable, "-m", "runar", "serve", "--write", "--port", "0"]
        with (
            _server([sys.executable, "-c", EMPTY_SERVER], env) as empty_at,
            _server(runar_cmd, env) as runar_at,
        ):
            empty = http.client.HTTPConnection(*empty_at, timeout=30)
            runar = http.client.HTTPConnection(*runar_at, timeout=30)
            run_id = json.loads(_post(runar, "/api/runs", b'{"name": "bench"}', auth))["id"]
            path = f"/api/runs/{run_id}/metrics"
            figures: dict[str, list[float]] = {k: [] for k in ("empty", "runar", "e_pts", "r_pts")}
            # rounds alternate, so both sides see the same (shared, noisy) machine; best kept
            for _ in range(ROUNDS):
                figures["empty"].append(_requests_per_s(empty, "/empty", single, auth))
                figures["runar"].append(_requests_per_s(runar, path, single, auth))
                figures["e_pts"].append(_points_per_s(empty, "/empty", batches, ndjson))
                figures["r_pts"].append(_points_per_s(runar, path, batches, ndjson))
            empty.close()
            runar.close()
    best = {k: max(v) for k, v in figures.items()}
    return [
        Result(
            "write API: metric points/s, NDJSON batches of 1,000, one connection",
            f"{best['r_pts']:,.0f} points/s",
            f"{best['e_pts']:,.0f} points/s (same bodies, empty endpoint)",
            f"{best['r_pts'] / best['e_pts']:.2f}x",
            f">= {POINTS_TARGET:,}",
            best["r_pts"] >= POINTS_TARGET,
        ),
        Result(
            "write API: single-point POST /metrics, one connection",
            f"{best['runar']:,.0f} req/s",
            f"{best['empty']:,.0f} req/s (empty Starlette POST)",
            f"{best['runar'] / best['empty']:.2f}x",
            "report",
            None,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
