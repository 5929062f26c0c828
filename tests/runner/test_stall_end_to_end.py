"""A real script under `runar` that stops logging while alive is a stall, until it ends."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from runar.store import Store

from .helpers import RUNAR, only_run, run_runar, runar_env, write_script

STALL_AFTER_S = 2.0  # RUNAR_STALL_AFTER: the floor, instead of 5 minutes
WAIT_S = 30.0  # how long a step may take on a loaded machine before the test gives up

SCRIPT = """
    import pathlib, sys, time, runar
    for i in range(20):
        runar.log({"loss": 1 / (1 + i)})
    print("logged", flush=True)
    go = pathlib.Path(sys.argv[1])
    while not go.exists():  # alive and silent until the test says so
        time.sleep(0.05)
    runar.log({"loss": 0.01})
"""


def show(tmp_path: Path, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_runar(["show", run_id, *args], tmp_path, RUNAR_STALL_AFTER=str(STALL_AFTER_S))
    assert done.returncode == 0, done.stderr
    return done


def stalls(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in record["anomalies"] if a["rule"] == "stall"]


def read_until(stream: Any, wanted: bytes, seconds: float) -> bytes:
    """What the stream said until ``wanted`` appeared (or the time ran out)."""
    said, until = b"", time.monotonic() + seconds
    while wanted not in said and time.monotonic() < until:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            said += chunk
    return said


@pytest.fixture
def stalled(store: Store, tmp_path: Path) -> Any:
    """The runner, its script logged 20 points and now silent; the go-file resumes it."""
    script = write_script(tmp_path, SCRIPT, "stall.py")
    go = tmp_path / "go"
    child = subprocess.Popen(
        [*RUNAR, str(script), str(go)],
        cwd=tmp_path,
        env=runar_env(RUNAR_STALL_AFTER=str(STALL_AFTER_S)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        assert b"logged" in read_until(child.stdout, b"logged", WAIT_S)
        yield child, go, time.monotonic()
    finally:
        go.touch()
        if child.poll() is None:
            try:
                child.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def test_a_silent_live_run_is_stalled_and_the_stall_ends_with_the_run(store, tmp_path, stalled):
    child, go, logged = stalled
    run_id = only_run(store)
    record = json.loads(show(tmp_path, run_id, "--json").stdout)
    if time.monotonic() - logged < STALL_AFTER_S:  # read before the window passed: no stall yet
        assert stalls(record) == []
    while not stalls(record) and time.monotonic() - logged < WAIT_S:
        time.sleep(0.2)
        record = json.loads(show(tmp_path, run_id, "--json").stdout)
    assert record["status"] == "running"
    [stall] = stalls(record)
    assert time.monotonic() - logged >= STALL_AFTER_S
    assert (stall["key"], stall["level"], stall["first_step"], stall["last_step"]) == (
        "*",
        "warn",
        19,
        19,
    )
    assert stall["message"].startswith("no metric logged for ")
    assert stall["message"].endswith(" s while the process is alive")  # not "0 min"
    assert "no metric logged for" in show(tmp_path, run_id).stdout  # the table says it too
    listed = run_runar(["ls", "--anomalous", "--json"], tmp_path, RUNAR_STALL_AFTER="2")
    assert [a["rule"] for a in json.loads(listed.stdout)[0]["anomalies"]] == ["stall"]

    # the runner's terminal says it once, while the script is still silent
    said = read_until(child.stderr, b"no metric logged", WAIT_S)
    assert "runar: ⚠ no metric logged for" in said.decode()
    assert child.poll() is None

    go.touch()
    assert child.wait(timeout=WAIT_S) == 0
    record = json.loads(show(tmp_path, run_id, "--json").stdout)
    assert record["status"] == "completed"
    assert record["anomalies"] == []  # a finished run is not stalled, whatever its silence
    rest = child.stderr.read().decode()
    assert rest.count("no metric logged") + said.decode().count("no metric logged") == 1


def test_without_the_setting_a_short_silence_is_no_stall(store, tmp_path, stalled):
    _, _, logged = stalled
    time.sleep(max(0.0, STALL_AFTER_S + 0.5 - (time.monotonic() - logged)))
    done = run_runar(["show", only_run(store), "--json"], tmp_path)  # the 5-minute floor
    assert done.returncode == 0, done.stderr
    assert stalls(json.loads(done.stdout)) == []


def test_a_bad_setting_is_one_clear_line(store, tmp_path, stalled):
    done = run_runar(["show", only_run(store)], tmp_path, RUNAR_STALL_AFTER="soon")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: RUNAR_STALL_AFTER='soon' is not a number of seconds; "
        "set e.g. RUNAR_STALL_AFTER=600, or unset it for 300"
    ]
