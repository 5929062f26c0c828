"""Two "nodes" (two stores on one machine) of one job land in one run through the bucket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from runar.ids import new_run_id
from runar.journal import read_run
from runar.remote.bucket import open_bucket
from runar.remote.pull import pull
from runar.views import open_views
from tests.remote.conftest import make_store

SCRIPT = """
import os, runar
for i in range(20):
    runar.log({f"loss_rank{os.environ['RANK']}": 1 / (i + 1)}, step=i)
"""


def test_ranks_on_two_nodes_log_into_one_run(tmp_path: Path, bucket_url: str) -> None:
    node0, node1 = make_store(tmp_path / "node0"), make_store(tmp_path / "node1")
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    job = new_run_id()
    base = {k: v for k, v in os.environ.items() if k not in ("RUNAR_RUN_ID", "RUNAR_DIR")}
    follower = subprocess.Popen(
        [sys.executable, "-m", "runar", "push", bucket_url, "--follow", job],
        env={**base, "RUNAR_DIR": str(node1.root)},
        stderr=subprocess.PIPE,
        text=True,
    )
    rank1 = subprocess.run(
        [sys.executable, str(script)],
        env={**base, "RUNAR_DIR": str(node1.root), "RUNAR_RUN_ID": job, "RANK": "1"},
        capture_output=True,
        text=True,
    )
    assert rank1.returncode == 0, rank1.stderr
    rank0 = subprocess.run(
        [sys.executable, "-m", "runar", "--remote", bucket_url, str(script)],
        env={**base, "RUNAR_DIR": str(node0.root), "RUNAR_JOB_RUN_ID": job, "RANK": "0"},
        capture_output=True,
        text=True,
    )
    assert rank0.returncode == 0, rank0.stderr
    time.sleep(1.0)
    follower.send_signal(signal.SIGTERM)
    _, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert f"uploading run {job} to {bucket_url} as it is written" in err  # not silent
    reader = make_store(tmp_path / "reader")
    pull(reader, open_bucket(bucket_url))
    assert os.listdir(reader.runs_dir) == [job]
    events = read_run(reader.run_dir(job)).events
    roles = {e.writer.split("-")[0] for e in events}
    assert {"runner", "rank0", "rank1"} <= roles
    assert len(events) == len({(e.writer, e.seq) for e in events})
    with open_views(reader) as views:
        (run,) = views.runs()
        assert views.status(run) == "completed"
        assert run.metrics["loss_rank0"].count == run.metrics["loss_rank1"].count == 20
