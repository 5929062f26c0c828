"""runar remote/push/pull/sync/doctor --remote and `runar SCRIPT --remote` as users run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import obstore
import pytest

from runar.remote.bucket import open_bucket
from runar.views import open_views
from tests.remote.conftest import make_store, write_run


def runar(
    *args: str, store: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    full = {**os.environ, "RUNAR_DIR": str(store), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "runar", *args], capture_output=True, text=True, env=full, timeout=60
    )


def run_count(root: Path) -> int:
    from runar.store import Store

    with open_views(Store(root)) as views:
        return views.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_remote_add_push_pull_between_two_stores(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a, 5)
    write_run(a, 5)
    assert runar("remote", "add", "origin", bucket_url, store=a.root).returncode == 0
    listed = runar("remote", "ls", "--json", store=a.root)
    assert bucket_url in listed.stdout
    pushed = runar("push", store=a.root)
    assert pushed.returncode == 0, pushed.stderr
    assert "2 new run(s)" in pushed.stdout
    assert runar("remote", "add", "team", bucket_url, store=b.root).returncode == 0
    pulled = runar("pull", store=b.root)  # the only remote is the default
    assert pulled.returncode == 0, pulled.stderr
    assert run_count(b.root) == 2
    checked = runar("doctor", store=b.root)  # config.json and cache/ are the store's own
    assert checked.returncode == 0, checked.stdout
    assert runar("remote", "rm", "team", store=b.root).returncode == 0
    assert "no remotes" in runar("remote", "ls", store=b.root).stdout


def test_sync_goes_both_ways_with_a_url(tmp_path: Path, bucket_url: str) -> None:
    a = make_store(tmp_path / "a")
    write_run(a, 5)
    assert runar("sync", str(a.root), bucket_url, store=a.root).returncode == 0
    done = runar("sync", bucket_url, str(tmp_path / "c"), store=a.root)
    assert done.returncode == 0, done.stderr
    assert run_count(tmp_path / "c" / ".runar") == 1
    folder = runar("sync", f"file://{tmp_path / 'c'}", f"file://{tmp_path / 'd'}", store=a.root)
    assert folder.returncode == 0, folder.stderr  # file:// stays a folder sync
    assert run_count(tmp_path / "d" / ".runar") == 1
    dry = runar("sync", bucket_url, str(tmp_path / "e"), "--dry-run", store=a.root)
    assert dry.returncode == 1 and "--dry-run" in dry.stderr


def test_wrong_credentials_give_one_line_and_lose_nothing(tmp_path: Path, bucket_url: str) -> None:
    from moto.core.authorization import enable_iam_authentication

    a = make_store(tmp_path / "a")
    write_run(a, 5)
    before = sorted(p.name for p in a.root.rglob("*"))
    with enable_iam_authentication():
        done = runar("push", bucket_url, store=a.root)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "AWS_ACCESS_KEY_ID" in lines[0], done.stderr
    assert "testing-secret" not in done.stderr + done.stdout
    assert sorted(p.name for p in a.root.rglob("*")) == before


def test_an_unreachable_endpoint_gives_one_line(tmp_path: Path, bucket_url: str) -> None:
    a = make_store(tmp_path / "a")
    write_run(a, 5)
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    for command in (["push", bucket_url], ["pull", bucket_url], ["doctor", "--remote", bucket_url]):
        done = runar(*command, store=a.root, env=env)
        assert done.returncode == 1
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "unreachable" in done.stderr
    assert run_count(a.root) == 1


def test_training_is_unaffected_by_an_unreachable_remote(tmp_path: Path, bucket_url: str) -> None:
    a = make_store(tmp_path / "a")
    script = tmp_path / "train.py"
    script.write_text("import runar\nfor i in range(5):\n    runar.log({'loss': 1 / (i + 1)})\n")
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    started = time.monotonic()
    done = runar("--remote", bucket_url, str(script), store=a.root, env=env)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    assert "runar push" in done.stderr
    with open_views(a) as views:
        (summary,) = views.runs()
        assert views.status(summary) == "completed"
        assert summary.metrics["loss"].count == 5
    env["AWS_ENDPOINT_URL"] = os.environ["AWS_ENDPOINT_URL"]
    assert runar("push", bucket_url, store=a.root, env=env).returncode == 0  # finishes the job
    b = make_store(tmp_path / "b")
    assert runar("pull", bucket_url, store=b.root).returncode == 0
    assert run_count(b.root) == 1


def test_doctor_remote_reports_damage_conflicts_and_orphans(
    tmp_path: Path, bucket_url: str
) -> None:
    a = make_store(tmp_path / "a")
    run_id = write_run(a, 50)
    runar("push", bucket_url, store=a.root)
    healthy = runar("doctor", "--remote", bucket_url, store=a.root)
    assert healthy.returncode == 0 and "ok:" in healthy.stdout, healthy.stdout
    bucket = open_bucket(bucket_url)
    (seg,) = [o for o in bucket.list() if o.key.endswith(".zst")]
    blob = bytearray(obstore.get(bucket.store, seg.key).bytes())
    blob[len(blob) // 2] ^= 0xFF
    broken = seg.key.replace(".000001.", ".000002.")
    obstore.put(bucket.store, broken, bytes(blob))
    obstore.put(bucket.store, f"conflicts/{run_id}/x.jsonl.zst.abc", b"theirs")
    obstore.put(bucket.store, "stray.txt", b"junk")
    sick = runar("doctor", "--remote", bucket_url, "--json", store=a.root)
    assert sick.returncode == 1
    import json

    found = json.loads(sick.stdout)
    assert list(found["damaged"]) == [broken]
    assert found["conflicts"] == [f"conflicts/{run_id}/x.jsonl.zst.abc"]
    assert "stray.txt" in found["orphans"]


@pytest.mark.parametrize("ref", ["nowhere"])
def test_an_unknown_remote_name_is_one_line(tmp_path: Path, ref: str) -> None:
    a = make_store(tmp_path / "a")
    done = runar("push", ref, store=a.root)
    assert done.returncode == 1 and "runar remote ls" in done.stderr


def test_ls_remote_reads_through_a_local_cache(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    theirs = write_run(a, 5)
    runar("push", bucket_url, store=a.root)
    runar("remote", "add", "origin", bucket_url, store=b.root)
    listed = runar("ls", "--remote", "origin", "--json", "--all-projects", store=b.root)
    assert listed.returncode == 0, listed.stderr
    assert theirs in listed.stdout
    assert not b.run_dir(theirs).exists()  # our own store holds only our runs
    cache = b.root / "cache" / "remotes" / "origin" / ".runar"
    assert (cache / "runs" / theirs).is_dir()
    import runar.frames as frames
    from runar.store import Store

    assert frames.runs(store=Store(cache))["run_id"].to_list() == [theirs]


def test_training_is_unaffected_by_wrong_credentials(tmp_path: Path, bucket_url: str) -> None:
    from moto.core.authorization import enable_iam_authentication

    a = make_store(tmp_path / "a")
    script = tmp_path / "train.py"
    script.write_text("import runar\nrunar.log({'loss': 0.5})\n")
    with enable_iam_authentication():
        done = runar("--remote", bucket_url, str(script), store=a.root)
    assert done.returncode == 0, done.stderr
    assert "uploading to" in done.stderr and "runar push" in done.stderr
    assert "testing-secret" not in done.stderr
    with open_views(a) as views:
        (summary,) = views.runs()
        assert views.status(summary) == "completed"


def test_serve_remote_follows_runs_pushed_after_it_started(tmp_path: Path, bucket_url: str) -> None:
    import httpx

    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    first = write_run(a, 3)
    runar("push", bucket_url, store=a.root)
    port = free_port()
    env = {**os.environ, "RUNAR_DIR": str(b.root)}
    server = subprocess.Popen(
        [sys.executable, "-m", "runar", "serve", "--remote", bucket_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen: set[str] = set()
        later = None
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                runs = httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2).json()["runs"]
                seen = {r["id"] for r in runs}
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if first in seen and later is None:
                later = write_run(a, 3)
                runar("push", bucket_url, store=a.root)
            if later is not None and later in seen:
                break
            time.sleep(0.5)
        assert later is not None and {first, later} <= seen
    finally:
        server.terminate()
        server.wait(timeout=10)
