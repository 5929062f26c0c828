"""A push or pull killed with SIGKILL mid-transfer, then rerun: nothing lost, doubled or half."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from runar.journal import read_run
from runar.remote.bucket import open_bucket
from runar.remote.pull import pull
from runar.remote.push import push
from runar.store import Store
from tests.remote.conftest import make_store, write_run

FILES = 150


def start(args: list[str], store: Path) -> subprocess.Popen:
    env = {**os.environ, "RUNAR_DIR": str(store)}
    return subprocess.Popen([sys.executable, "-m", "runar", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def kill_when(proc: subprocess.Popen, ready: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and not ready():  # type: ignore[operator]
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def many_files(tmp_path: Path) -> tuple[Store, str]:
    a = make_store(tmp_path / "a")
    run_id = write_run(a, 200)
    folder = a.run_dir(run_id) / "artifacts"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"f{i:03d}.bin").write_bytes(os.urandom(20_000 + i))
    return a, run_id


def test_a_push_killed_midway_and_rerun_leaves_each_object_once(
    tmp_path: Path, bucket_url: str
) -> None:
    a, run_id = many_files(tmp_path)
    bucket = open_bucket(bucket_url)
    proc = start(["push", bucket_url], a.root)
    kill_when(proc, lambda: len(bucket.list()) > 5)
    midway = len(bucket.list())
    assert midway < FILES + 1, "the push ended before the kill: nothing was tested"
    report = push(a, bucket)
    assert not report.conflicts and report.files_same >= midway - 1
    keys = [o.key for o in bucket.list()]
    assert len(keys) == len(set(keys)) == FILES + 1  # the artifacts and the one sealed segment
    b = make_store(tmp_path / "b")
    pull(b, bucket)
    for i in range(FILES):
        name = f"f{i:03d}.bin"
        src = a.run_dir(run_id) / "artifacts" / name
        assert (b.run_dir(run_id) / "artifacts" / name).read_bytes() == src.read_bytes()
    events = read_run(b.run_dir(run_id)).events
    assert len(events) == len({(e.writer, e.seq) for e in events})
    assert len(events) == len(read_run(a.run_dir(run_id)).events)


def test_a_pull_killed_midway_and_rerun_shows_no_half_file(tmp_path: Path, bucket_url: str) -> None:
    a, run_id = many_files(tmp_path)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    b = make_store(tmp_path / "b")
    art = b.run_dir(run_id) / "artifacts"
    proc = start(["pull", bucket_url], b.root)
    kill_when(proc, lambda: art.is_dir() and len(os.listdir(art)) > 5)
    for path in art.iterdir():
        if not path.name.endswith(".tmp"):  # published files are whole
            src = a.run_dir(run_id) / "artifacts" / path.name
            assert path.read_bytes() == src.read_bytes()
    pull(b, bucket)
    names = sorted(p.name for p in art.iterdir() if not p.name.endswith(".tmp"))
    assert len(names) == FILES
    events = read_run(b.run_dir(run_id)).events
    assert len(events) == len(read_run(a.run_dir(run_id)).events)


def test_two_stores_push_the_same_runs_writers_at_once(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    shared = write_run(a, 30, role="rank0")
    write_run(b, 40, run_id=shared, role="rank1", finish=False)
    for store in (a, b):
        (store.run_dir(shared) / "code").mkdir()
        (store.run_dir(shared) / "code" / "meta.json").write_text('{"same": true}')
    extra = [write_run(a, 5) for _ in range(3)] + [write_run(b, 5) for _ in range(3)]
    bucket = open_bucket(bucket_url)
    reports: list[object] = []
    threads = [threading.Thread(target=lambda s=s: reports.append(push(s, bucket))) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not r.conflicts for r in reports)
    c = make_store(tmp_path / "c")
    pull(c, bucket)
    events = read_run(c.run_dir(shared)).events
    writers = {e.writer.split("-")[0] for e in events}
    assert writers == {"rank0", "rank1"}
    expected = len(read_run(a.run_dir(shared)).events) + len(read_run(b.run_dir(shared)).events)
    assert len(events) == len({(e.writer, e.seq) for e in events}) == expected
    assert set(extra) <= set(os.listdir(c.runs_dir))
