"""The team store against a real S3 server (moto, its own process, on loopback).

- pull of 1,000 runs x 10 sealed segments into an empty store, against raw concurrent
  GETs of the same objects through the same client (obstore) and the same pool width;
- an incremental pull of a bucket of 10,000 runs where nothing changed (target <= 2 s),
  against one bare listing of the bucket;
- log() median in a script under `runar` with and without `--remote`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from harness import Result

RUNS_FULL: Final = 1_000
SEGMENTS_PER_RUN: Final = 10
RUNS_INCREMENTAL: Final = 10_000
INCREMENTAL_TARGET_S: Final = 2.0
LOG_CALLS: Final = 20_000
LOG_TOLERANCE: Final = 1.25  # "unchanged within noise" on a shared 2-core machine
PUT_WORKERS: Final = 16
ROUNDS: Final = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(200):
        try:
            httpx.get(endpoint, timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    httpx.put(f"{endpoint}/bench").raise_for_status()
    return proc, endpoint


def _segment_bytes() -> bytes:
    """A real sealed segment of 100 metric events."""
    from runar.codec import encode_line
    from runar.events import MetricsLogged
    from runar.journal.segment import compress_frames

    lines = b"".join(
        encode_line(MetricsLogged(values={"loss": 1 / (i + 1), "acc": i / 100}, step=i))
        for i in range(100)
    )
    return compress_frames(lines)


def _fill(bucket: object, runs: int, segments: int, body: bytes) -> list[str]:
    import obstore

    from runar.ids import new_run_id

    keys = [
        f"runs/{run_id}/bench-{w:010d}.{n:06d}.jsonl.zst"
        for w, run_id in enumerate(new_run_id() for _ in range(runs))
        for n in range(1, segments + 1)
    ]
    store = bucket.store  # type: ignore[attr-defined]
    with ThreadPoolExecutor(PUT_WORKERS) as pool:
        list(pool.map(lambda k: obstore.put(store, k, body), keys))
    return keys


def _raw_gets(bucket: object, keys: list[str]) -> float:
    import obstore

    from runar.remote.pull import PULL_WORKERS

    store = bucket.store  # type: ignore[attr-defined]
    started = time.perf_counter()
    keys = [o.key for o in bucket.list()]  # type: ignore[attr-defined]  # a pull lists too
    with ThreadPoolExecutor(PULL_WORKERS) as pool:
        list(pool.map(lambda k: bytes(obstore.get(store, k).bytes()), keys))
    return time.perf_counter() - started


def _pulls(root: Path) -> list[Result]:
    from runar.remote.bucket import open_bucket
    from runar.remote.pull import pull
    from runar.store import Store

    body = _segment_bytes()
    full = open_bucket("s3://bench/full")
    keys = _fill(full, RUNS_FULL, SEGMENTS_PER_RUN, body)
    raws, pulls = [], []
    for attempt in range(ROUNDS):  # interleaved: the server and the machine drift
        raws.append(_raw_gets(full, keys))
        started = time.perf_counter()
        pull(Store(root / f"full-{attempt}" / ".runar"), full)
        pulls.append(time.perf_counter() - started)
    raw_s, pull_s = min(raws), min(pulls)
    rows = [
        Result(
            f"pull {RUNS_FULL} runs x {SEGMENTS_PER_RUN} segments, empty store",
            f"{pull_s:.2f} s ({RUNS_FULL / pull_s:.0f} runs/s)",
            f"{raw_s:.2f} s listing + raw GETs ({RUNS_FULL / raw_s:.0f} runs/s)",
            f"{pull_s / raw_s:.2f}x",
            "—",
            None,
        )
    ]
    many = open_bucket("s3://bench/many")
    _fill(many, RUNS_INCREMENTAL, 1, body)
    store = Store(root / "many" / ".runar")
    pull(store, many)
    listing = many.list()
    list_s = min(_timed_list(many) for _ in range(3))
    best = min(_timed_pull(store, many) for _ in range(3))
    own = min(_timed_plan(store, many, listing) for _ in range(3))
    rows.append(
        Result(
            f"incremental pull, {RUNS_INCREMENTAL} runs, nothing new",
            f"{best:.2f} s (1 listing, 0 GETs)",
            f"{list_s:.2f} s one bare listing of {len(listing)} objects",
            f"{best / list_s:.2f}x",
            "~1 listing",
            None,
        )
    )
    rows.append(
        Result(
            f"incremental pull, {RUNS_INCREMENTAL} runs: runar's work beyond the listing",
            f"{own:.2f} s",
            f"{list_s:.2f} s the server's listing",
            f"{own / list_s:.2f}x",
            f"<= {INCREMENTAL_TARGET_S:.0f} s",
            own <= INCREMENTAL_TARGET_S,
        )
    )
    return rows


def _timed_list(bucket: object) -> float:
    started = time.perf_counter()
    bucket.list()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def _timed_plan(store: object, bucket: object, listing: list[object]) -> float:
    """Planning and checking a listing already in hand: everything a pull does but list."""
    from runar.remote.pull import PULL_WORKERS, Puller
    from runar.remote.push import run_all

    started = time.perf_counter()
    puller = Puller(store, bucket)  # type: ignore[arg-type]
    run_all(puller.plan(listing), PULL_WORKERS, puller.report)  # type: ignore[arg-type]
    assert puller.report.files_copied == 0 and puller.report.files_same == len(listing)
    return time.perf_counter() - started


def _timed_pull(store: object, bucket: object) -> float:
    from runar.remote.pull import pull

    started = time.perf_counter()
    report = pull(store, bucket)  # type: ignore[arg-type]
    assert report.files_copied == 0
    return time.perf_counter() - started


LOG_SCRIPT: Final = f"""
import sys, time, statistics, runar
runar.log({{"warm": 0.0}})
costs = []
for i in range({LOG_CALLS}):
    t = time.perf_counter_ns()
    runar.log({{"loss": 1 / (i + 1), "acc": i * 1e-4}}, step=i)
    costs.append(time.perf_counter_ns() - t)
open(sys.argv[1], "w").write(str(statistics.median(costs)))
"""


def _log_median(root: Path, remote: str | None) -> float:
    script = root / "log_bench.py"
    script.write_text(LOG_SCRIPT)
    out = root / f"median-{bool(remote)}.txt"
    env = {**os.environ, "RUNAR_DIR": str(root / "logs" / ".runar")}
    extra = ["--remote", remote] if remote else []
    subprocess.run(
        [sys.executable, "-m", "runar", *extra, str(script), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return float(out.read_text())


def _log_cost(root: Path) -> Result:
    plain, remote = [], []
    for _ in range(3):  # interleaved, so drift on the machine hits both alike
        plain.append(_log_median(root, None))
        remote.append(_log_median(root, "s3://bench/live"))
    with_s, without_s = statistics.median(remote), statistics.median(plain)
    return Result(
        "log() median under runar --remote",
        f"{with_s:.0f} ns",
        f"{without_s:.0f} ns without --remote",
        f"{with_s / without_s:.2f}x",
        f"<= {LOG_TOLERANCE:.2f}x",
        with_s / without_s <= LOG_TOLERANCE,
    )


def run() -> list[Result]:
    proc, endpoint = _start_server()
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                             "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}  # fmt: skip
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
    )
    try:
        with tempfile.TemporaryDirectory(prefix="runar-bench-remote-") as tmp:
            root = Path(tmp)
            return [*_pulls(root), _log_cost(root)]
    finally:
        proc.terminate()
        proc.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
