"""`runar serve`: runs listing, downsampled curves and overlays over HTTP, and server memory.

The API rows run a real uvicorn in a thread and time whole HTTP round trips with
urllib; their baselines are measured in the same run: a trivial endpoint (a JSON 404
through the same middleware and router) for the listing, the raw ``frames.metrics``
load for the curves. Memory is the RSS of a separate `runar serve` process holding
10,000 runs with 5 open event streams.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from harness import Result
from stores import synthetic_store

from runar.projector import catch_up
from runar.web.app import create_app
from runar.web.serve import serving_in_thread

RUNS: Final = 10_000
LONG_STEPS: Final = 1_000_000
OVERLAY_RUNS: Final = 20
OVERLAY_STEPS: Final = 100_000
POINTS: Final = 2000
TABS: Final = 5
RSS_TARGET: Final = 300 << 20


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url) as reply:
        return reply.read()


def _median(fn: Callable[[], object], calls: int) -> float:
    fn()  # warm: caches, first Polars plan
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _trivial(base: str) -> Callable[[], object]:
    def call() -> None:
        with contextlib.suppress(urllib.error.HTTPError):  # the 404 is the point
            _get(base + "/api/nothing")

    return call


def _listing(results: list[Result]) -> None:
    store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)
    with serving_in_thread(create_app(store)) as base:
        trivial = _median(_trivial(base), 30)
        for label, query in (
            ("GET /api/runs, 10,000 runs (first 100)", ""),
            (
                "GET /api/runs filtered + sorted, 10,000 runs",
                "?where=" + quote("lr<1e-3 tag:baseline") + "&sort=-metrics.acc",
            ),
        ):
            took = _median(lambda q=query: _get(base + "/api/runs" + q), 30)
            results.append(
                Result(
                    label,
                    f"{took * 1e3:.1f} ms",
                    f"{trivial * 1e3:.1f} ms (JSON 404, same server)",
                    f"{took / trivial:.1f}x",
                    "<= 50 ms",
                    took <= 0.050,
                )
            )


def _curves(results: list[Result]) -> None:
    import runar.frames as frames

    long_store = synthetic_store("web-long", runs=1, steps=LONG_STEPS)
    overlay_store = synthetic_store("web-overlay", runs=OVERLAY_RUNS, steps=OVERLAY_STEPS)
    for store in (long_store, overlay_store):
        catch_up(store)
    run_id = long_store.run_ids()[0]
    with serving_in_thread(create_app(long_store)) as base:
        url = f"{base}/api/runs/{run_id}/metrics?keys=loss&points={POINTS}"
        took = _median(lambda: _get(url), 7)
        raw = _median(
            lambda: frames.metrics([run_id], ["loss"], store=long_store, catch_up=False), 7
        )
    results.append(
        Result(
            "one key of a 1,000,000-point run -> 2,000 points",
            f"{took * 1e3:.0f} ms",
            f"{raw * 1e3:.0f} ms (frames.metrics load alone)",
            f"{took / raw:.1f}x",
            "<= 100 ms",
            took <= 0.100,
        )
    )
    ids = overlay_store.run_ids()
    with serving_in_thread(create_app(overlay_store)) as base:
        url = f"{base}/api/metrics?runs={','.join(ids)}&key=loss&points={POINTS}"
        took = _median(lambda: _get(url), 7)
        raw = _median(lambda: frames.metrics(ids, ["loss"], store=overlay_store, catch_up=False), 7)
    results.append(
        Result(
            "20 runs x 100,000 points overlaid",
            f"{took * 1e3:.0f} ms",
            f"{raw * 1e3:.0f} ms (frames.metrics load alone)",
            f"{took / raw:.1f}x",
            "<= 250 ms",
            took <= 0.250,
        )
    )


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        found = re.search(r"VmRSS:\s+(\d+) kB", fh.read())
    return int(found.group(1)) * 1024 if found else 0


def _memory(results: list[Result]) -> None:
    store = synthetic_store("listing", runs=RUNS, steps=5)
    catch_up(store)
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runar", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    streams: list[http.client.HTTPConnection] = []
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        port = int(re.search(r":(\d+)/", line).group(1))  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base + "/api/runs?limit=1")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for _ in range(TABS):  # what each open tab holds: a stream and its first pages
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", "/api/stream")
            conn.getresponse()
            streams.append(conn)
            _get(base + "/api/runs?limit=1000&sort=-metrics.acc")
        rss = _rss(proc.pid)
        bare = subprocess.run(
            [sys.executable, "-c", "import re,runar.web.app;"
             "print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        base_rss = int(bare.stdout) * 1024
    finally:
        for conn in streams:
            conn.close()
        proc.terminate()
        proc.wait(timeout=30)
    results.append(
        Result(
            f"server RSS, 10,000 runs, {TABS} open streams",
            f"{rss / 2**20:.0f} MB",
            f"{base_rss / 2**20:.0f} MB (the server's imports alone)",
            f"{rss / base_rss:.1f}x",
            "<= 300 MB",
            rss <= RSS_TARGET,
        )
    )


def run() -> list[Result]:
    results: list[Result] = []
    _listing(results)
    _curves(results)
    _memory(results)
    return results
