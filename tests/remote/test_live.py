"""`runar SCRIPT --remote`: a teammate pulling sees the running run within seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runar.remote.bucket import open_bucket
from runar.remote.pull import pull
from runar.views import open_views
from tests.remote.conftest import make_store, write_run

SCRIPT = """
import time, runar
for i in range(60):
    runar.log({"loss": 1 / (i + 1)}, step=i)
    time.sleep(0.1)
"""


def test_a_running_run_shows_up_for_a_puller_within_5_s(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "RUNAR_DIR": str(a.root), "RUNAR_REMOTE": bucket_url}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runar", str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    bucket = open_bucket(bucket_url)
    seen_running: float | None = None
    try:
        while time.monotonic() - started < 20 and seen_running is None:
            pull(b, bucket)
            with open_views(b) as views:
                runs = views.runs()
                if runs and views.status(runs[0]) == "running" and runs[0].metrics:
                    seen_running = time.monotonic() - started
            time.sleep(0.2)
    finally:
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    print(f"FIGURE live_visible_s={seen_running:.2f}")
    assert seen_running is not None and seen_running < 5.0, seen_running
    pull(b, bucket)
    with open_views(b) as views:
        (run,) = views.runs()
        assert views.status(run) == "completed"
        assert run.metrics["loss"].count == 60
    assert not [o.key for o in bucket.list() if "/live/" in o.key]  # tails gave way
    assert not [n for n in os.listdir(b.run_dir(run.run_id)) if n.endswith(".jsonl")]


SAVING = """
import runar
runar.save("weights", b"w" * 50_000)
runar.log({"loss": 0.5})
"""


def test_saved_artifacts_go_up_as_blobs_during_the_run(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    script = tmp_path / "save.py"
    script.write_text(SAVING)
    env = {**os.environ, "RUNAR_DIR": str(a.root)}
    done = subprocess.run(
        [sys.executable, "-m", "runar", "--remote", bucket_url, str(script)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    bucket = open_bucket(bucket_url)
    keys = [o.key for o in bucket.list()]
    assert len([k for k in keys if k.startswith("blobs/")]) == 1, keys
    pull(b, bucket)
    (run_id,) = os.listdir(b.runs_dir)
    assert (b.run_dir(run_id) / "artifacts" / "weights").read_bytes() == b"w" * 50_000


def test_the_end_of_a_run_waits_a_bounded_time_for_a_hung_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from runar.remote.live import LiveUploader

    hole = socket.socket()  # accepts connections, never answers
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{hole.getsockname()[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    a = make_store(tmp_path / "a")
    run_id = write_run(a, 5)
    said: list[str] = []
    uploader = LiveUploader(a, run_id, "origin", "s3://bucket/team", said.append).start()
    time.sleep(0.8)  # the first pass is under way, stuck on the hung endpoint
    started = time.monotonic()
    lines = uploader.finish(wait=1.0)
    assert time.monotonic() - started < 2.0
    assert lines and "runar push origin" in lines[0]
    hole.close()
