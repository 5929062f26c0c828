"""`runar serve --write` stopped and started again over the same store, mid-run: the run
goes on under its id, and a retry with the same Idempotency-Key is not written twice."""

from __future__ import annotations

import stat
import time

from runar.events import MetricsLogged
from runar.store import Store
from runar.web.write_replies import Replies, Reply
from tests.web.write_helpers import writable_server

POINT = {"step": 1, "values": {"loss": 0.5}}


def _points(served, run_id):
    return [e for e in served.events(run_id) if isinstance(e, MetricsLogged)]


def test_a_retry_across_a_restart_is_replayed_not_written_again(tmp_path):
    store = Store(tmp_path / ".runar").create()
    key = {"idempotency-key": "batch-1"}
    with writable_server(store) as first:
        secret = first.write
        with first.client() as c:
            run_id = c.post("/api/runs", json={"name": "long"}).json()["id"]
            sent = c.post(f"/api/runs/{run_id}/metrics", json=POINT, headers=key)
    with writable_server(store, token=secret) as second:
        with second.client() as c:
            again = c.post(f"/api/runs/{run_id}/metrics", json=POINT, headers=key)
            other = c.post(f"/api/runs/{run_id}/metrics", json={"values": {"x": 1}}, headers=key)
            more = c.post(f"/api/runs/{run_id}/metrics", json={"step": 2, "values": {"loss": 0.4}})
        assert again.status_code == 200 and again.json() == sent.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert other.status_code == 422  # the same key for a different write
        assert more.status_code == 200  # the run goes on under its id
        assert [p.step for p in _points(second, run_id)] == [1, 2]
    path = store.root / "config" / "replies.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_replies_older_than_their_time_limit_are_not_read_back(tmp_path):
    path = tmp_path / "replies.jsonl"
    ten_s_ago = time.monotonic() - 10
    Replies(path=path).put(("ci", "old"), Reply(200, b"{}", "f", ten_s_ago))
    Replies(path=path).put(("ci", "new"), Reply(200, b"{}", "f", time.monotonic()))
    back = Replies(path=path, ttl_s=5)
    assert back.get(("ci", "old")) is None and back.get(("ci", "new")) is not None


def test_a_torn_last_line_loses_only_that_reply(tmp_path):
    path = tmp_path / "replies.jsonl"
    replies = Replies(path=path)
    replies.put(("ci", "a"), Reply(200, b'{"a":1}', "fa", time.monotonic()))
    replies.put(("ci", "b"), Reply(200, b'{"b":1}', "fb", time.monotonic()))
    path.write_bytes(path.read_bytes()[:-10])  # a kill in the middle of the last write
    back = Replies(path=path)
    assert back.get(("ci", "a")) is not None and back.get(("ci", "b")) is None


def test_the_file_is_compacted_to_the_live_replies(tmp_path):
    path = tmp_path / "replies.jsonl"
    replies = Replies(capacity=3, path=path)
    for i in range(20):
        replies.put(("ci", str(i)), Reply(200, b"{}", "f", time.monotonic()))
    assert len(path.read_bytes().splitlines()) <= 2 * 3 + 1
    back = Replies(capacity=3, path=path)
    assert [k for k in ("17", "18", "19") if back.get(("ci", k))] == ["17", "18", "19"]
    assert back.get(("ci", "10")) is None


def test_an_unwritable_place_for_the_file_is_said_once_and_replies_stay_in_memory(tmp_path, capsys):
    blocker = tmp_path / "config"
    blocker.write_text("a file where the folder belongs")
    replies = Replies(path=blocker / "replies.jsonl")
    for k in "ab":
        replies.put(("ci", k), Reply(200, b"{}", "f", time.monotonic()))
    err = capsys.readouterr().err
    assert err.count("cannot keep Idempotency-Key replies") == 1
    assert replies.get(("ci", "a")) is not None
