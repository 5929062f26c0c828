"""The HTTP write API on a real uvicorn: runs, metrics, steps, artifacts, as the SDK records."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runar.events import (
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TagsChanged,
    WriterOpened,
)
from tests.web.write_helpers import writable_server

ROOT = Path(__file__).resolve().parents[2]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def writable(store):
    with writable_server(store) as served:
        yield served


def _run(writable, **fields):
    with writable.client() as c:
        reply = c.post("/api/runs", json={"name": "pipe", **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_a_run_starts_with_its_name_config_tags_and_attribution(writable):
    run_id = _run(writable, tags=["ci"], config={"lr": 0.1}, command=["make", "all"])
    events = writable.events(run_id)
    started = next(e for e in events if isinstance(e, RunStarted))
    assert (started.name, started.command, started.source) == ("pipe", ["make", "all"], "http:ci")
    assert any(isinstance(e, ConfigSet) and e.values == {"lr": 0.1} for e in events)
    assert any(isinstance(e, TagsChanged) and e.added == ["ci"] for e in events)
    header = next(e for e in events if isinstance(e, WriterOpened))
    assert header.role == "http:ci"  # every event of this writer names the token


def test_metrics_one_point_a_list_and_ndjson(writable):
    run_id = _run(writable)
    with writable.client() as c:
        assert c.post(
            f"/api/runs/{run_id}/metrics", json={"step": 0, "values": {"loss": 1}}
        ).json() == {"accepted": 1}
        many = [{"step": i, "values": {"loss": 1 / (i + 1)}} for i in range(1, 4)]
        assert c.post(f"/api/runs/{run_id}/metrics", json=many).json() == {"accepted": 3}
        ndjson = "".join(
            json.dumps({"step": i, "values": {"acc": i / 10}}) + "\n" for i in range(5)
        )
        reply = c.post(
            f"/api/runs/{run_id}/metrics",
            content=ndjson,
            headers={"content-type": "application/x-ndjson"},
        )
        assert reply.json() == {"accepted": 5}
    points = [e for e in writable.events(run_id) if isinstance(e, MetricsLogged)]
    assert [p.step for p in points] == [0, 1, 2, 3, 0, 1, 2, 3, 4]
    assert points[-1].values == {"acc": 0.4}


def test_config_tags_notes_and_finish(writable):
    run_id = _run(writable)
    with writable.client() as c:
        assert c.post(f"/api/runs/{run_id}/config", json={"model": {"depth": 4}}).status_code == 200
        assert (
            c.post(f"/api/runs/{run_id}/tags", json={"add": ["a"], "remove": ["b"]}).status_code
            == 200
        )
        assert c.post(f"/api/runs/{run_id}/notes", json={"text": "fine"}).status_code == 200
        done = c.post(
            f"/api/runs/{run_id}/finish", json={"status": "failed", "exit_code": 3, "error": "boom"}
        )
        assert done.json() == {"id": run_id, "status": "failed"}
        again = c.post(f"/api/runs/{run_id}/finish", json={})
        assert again.status_code == 409
        late = c.post(f"/api/runs/{run_id}/metrics", json={"values": {"x": 1}})
        assert late.status_code == 409
        assert c.post(f"/api/runs/{run_id}/notes", json={"text": "after"}).status_code == 200
    events = writable.events(run_id)
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert [(f.status, f.exit_code, f.error) for f in finished] == [("failed", 3, "boom")]
    assert [e.text for e in events if isinstance(e, NoteAdded)] == ["fine", "after"]


def test_steps_nest_complete_and_fail(writable):
    run_id = _run(writable)
    with writable.client() as c:
        outer = c.post(f"/api/runs/{run_id}/steps", json={"name": "train"}).json()["step_id"]
        inner = c.post(f"/api/runs/{run_id}/steps", json={"name": "epoch", "parent": outer}).json()[
            "step_id"
        ]
        assert (
            c.post(
                f"/api/runs/{run_id}/steps/{inner}/fail",
                json={"error": "nan loss", "error_type": "FloatingPointError"},
            ).status_code
            == 200
        )
        assert c.post(f"/api/runs/{run_id}/steps/{outer}/complete").status_code == 200
        assert c.post(f"/api/runs/{run_id}/steps/{outer}/complete").status_code == 409
        assert c.post(f"/api/runs/{run_id}/steps/nosuch/complete").status_code == 404
        orphan = c.post(f"/api/runs/{run_id}/steps", json={"name": "x", "parent": "nosuch"})
        assert orphan.status_code == 404 and orphan.json()["field"] == "parent"
    events = writable.events(run_id)
    started = {e.step_id: e for e in events if isinstance(e, StepStarted)}
    assert started[inner].parent == outer
    ends = {e.step_id: e for e in events if isinstance(e, StepFinished)}
    assert ends[inner].status == "failed" and ends[inner].error_type == "FloatingPointError"
    assert ends[outer].status == "completed"


def test_artifacts_raw_and_multipart_stored_like_save(writable):
    run_id = _run(writable)
    with writable.client() as c:
        step = c.post(f"/api/runs/{run_id}/steps", json={"name": "eval"}).json()["step_id"]
        log = c.post(
            f"/api/runs/{run_id}/artifacts",
            params={"name": "logs/eval.log", "kind": "log", "step": step},
            content=b"line 1\nline 2\n",
        )
        assert log.status_code == 201, log.text
        image = c.post(
            f"/api/runs/{run_id}/artifacts",
            data={"name": "plots/curve", "kind": "image"},
            files={"file": ("curve.png", PNG, "image/png")},
        )
        assert image.status_code == 201, image.text
        report = c.post(
            f"/api/runs/{run_id}/artifacts",
            params={"kind": "json"},
            files={"file": ("report", b'{"acc": 0.9}', "application/json")},
        )
        assert report.status_code == 201, report.text
    folder = writable.store.artifacts_dir(run_id)
    attached = {e.name: e for e in writable.events(run_id) if isinstance(e, ArtifactAttached)}
    assert attached["logs/eval.log"].kind == "text"
    assert attached["logs/eval.log"].workflow_step == step
    assert attached["plots/curve"].path == "plots/curve.png"
    assert attached["report"].path == "report.json"  # as save() names a JSON artifact
    for event in attached.values():
        data = (folder / event.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == event.sha256 and len(data) == event.size
    assert not [p for p in folder.rglob("*.tmp")]


def test_artifact_kinds_are_checked(writable):
    run_id = _run(writable)
    with writable.client() as c:
        for kind, body in (("image", b"not an image"), ("json", b"{nope"), ("log", b"\xff\xfe")):
            reply = c.post(
                f"/api/runs/{run_id}/artifacts", params={"name": "x", "kind": kind}, content=body
            )
            assert reply.status_code == 422, (kind, reply.text)
            assert reply.json()["field"] == "kind"
        assert (
            c.post(
                f"/api/runs/{run_id}/artifacts", params={"name": "x", "kind": "zip"}, content=b"1"
            ).status_code
            == 422
        )
    assert not any(isinstance(e, ArtifactAttached) for e in writable.events(run_id))
    assert list(writable.store.artifacts_dir(run_id).rglob("*")) == []


def test_http_and_sdk_events_interleave_in_one_run(writable, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, time, httpx, runar\n"
        "base, token = sys.argv[1], sys.argv[2]\n"
        "run = runar.Run('mixed')\n"
        "h = {'authorization': 'Bearer ' + token}\n"
        "for i in range(5):\n"
        "    run.log({'sdk': i}, step=i)\n"
        "    run._writer.flush()\n"
        "    r = httpx.post(f'{base}/api/runs/{run.run_id}/metrics', headers=h,\n"
        "                   json={'step': i, 'values': {'http': i}})\n"
        "    assert r.status_code == 200, r.text\n"
        "s = httpx.post(f'{base}/api/runs/{run.run_id}/steps', headers=h,\n"
        "               json={'name': 'remote'})\n"
        "step = s.json()['step_id']\n"
        "httpx.post(f'{base}/api/runs/{run.run_id}/steps/{step}/complete', headers=h)\n"
        "print(run.run_id)\n"
        "run.finish()\n"
    )
    env = {**os.environ, "RUNAR_DIR": str(writable.store.root)}
    env.pop("RUNAR_RUN_ID", None)
    out = subprocess.run(
        [sys.executable, str(script), writable.base, writable.write],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.strip()
    events = writable.events(run_id)
    keys = [next(iter(e.values)) for e in events if isinstance(e, MetricsLogged)]
    assert keys == ["sdk", "http"] * 5  # time order across two writers
    writers = {e.writer.split("-")[0] for e in events if isinstance(e, MetricsLogged)}
    assert writers == {"sdk", "httpci"}
    assert any(isinstance(e, StepFinished) for e in events)
    assert isinstance(events[-1], RunFinished) or any(isinstance(e, RunFinished) for e in events)


def _runar(store, *args):
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    return subprocess.run(
        [sys.executable, "-m", "runar", *args], capture_output=True, text=True, env=env, timeout=60
    )


def _walkthrough() -> str:
    text = (ROOT / "docs" / "api.md").read_text()
    found = re.search(r"<!-- walkthrough -->\n```bash\n(.*?)```", text, re.S)
    assert found, "docs/api.md lost its walkthrough block"
    return found.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("script", ["docs", "example"])
def test_the_curl_walkthrough_records_what_show_and_replay_display(writable, script, tmp_path):
    path = tmp_path / "walk.sh"
    if script == "docs":
        path.write_text("set -euo pipefail\n" + _walkthrough())
    else:
        shutil.copy(ROOT / "examples" / "record_pipeline.sh", path)
    env = {**os.environ, "RUNAR_URL": writable.base, "RUNAR_TOKEN": writable.write}
    out = subprocess.run(["bash", str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    run_id = re.search(r"run ([0-9a-z]{16})", out.stdout).group(1)
    shown = json.loads(_runar(writable.store, "show", run_id, "--json").stdout)
    steps = {s["name"]: s["status"] for s in shown["steps"]}
    assert steps == {"extract": "completed", "load": "failed"}
    assert shown["artifacts"], shown
    assert shown["metrics"]
    replay = _runar(writable.store, "replay", run_id, "--speed", "0")
    assert replay.returncode == 0, replay.stderr
    assert "┌ step" in replay.stdout and "◆ artifact" in replay.stdout


def test_a_retried_upload_is_stored_once_and_a_reused_key_leaves_no_file(writable):
    run_id = _run(writable)
    key = {"idempotency-key": "upload-1"}
    with writable.client() as c:
        url = f"/api/runs/{run_id}/artifacts"
        replies = [
            c.post(url, params={"name": "m.bin"}, content=b"abc", headers=key) for _ in range(3)
        ]
        assert {r.status_code for r in replies} == {201}
        other = c.post(url, params={"name": "m.bin"}, content=b"abd", headers=key)
        assert other.status_code == 422
    attached = [e for e in writable.events(run_id) if isinstance(e, ArtifactAttached)]
    assert len(attached) == 1
    files = [p.name for p in writable.store.artifacts_dir(run_id).rglob("*")]
    assert files == ["m.bin"]
    assert (writable.store.artifacts_dir(run_id) / "m.bin").read_bytes() == b"abc"
