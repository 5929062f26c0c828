"""The live stream: a run written while a client listens arrives; a reconnect misses nothing."""

from __future__ import annotations

import json

import pytest

from runar.web import stream as stream_module
from runar.web.app import create_app
from runar.web.store_access import Delta
from runar.web.stream import Hub
from tests.cli.helpers import write_run
from tests.web.client import EventStream
from tests.web.conftest import fill


@pytest.fixture
def listen(served):
    opened = []

    def open_stream(headers=None):
        s = EventStream(served.base, headers)
        opened.append(s)
        return s

    yield open_stream
    for s in opened:
        s.close()


def test_the_stream_starts_with_a_position_to_resume_from(listen):
    first = listen().next_block()
    assert first.id is not None and first.id.isdigit()


def test_a_run_written_while_listening_arrives(served, listen):
    events = listen()
    events.next_block()
    run_id = write_run(served.store, name="fresh", tags=["live"])
    seen: dict[str, dict] = {}
    while run_id not in seen or seen[run_id]["status"] != "completed":
        data = json.loads(events.next_event("runs").data)
        seen.update((row["id"], row) for row in data["changed"])
    assert seen[run_id]["name"] == "fresh"
    assert seen[run_id]["tags"] == ["live"]


def test_a_removed_run_is_announced(served, listen):
    import shutil

    events = listen()
    events.next_block()
    shutil.rmtree(served.store.run_dir(served.runs["beta"]))
    while True:
        data = json.loads(events.next_event("runs").data)
        if served.runs["beta"] in data["removed"]:
            break


def test_a_reconnect_with_last_event_id_misses_nothing(served, listen):
    first = listen()
    first.next_block()
    a = write_run(served.store, name="before-drop")
    got = set()
    while a not in got:
        got |= {r["id"] for r in json.loads(first.next_event("runs").data)["changed"]}
    resume_from = first.last_id
    first.close()
    b = write_run(served.store, name="while-away-1")
    c = write_run(served.store, name="while-away-2")
    # the server must have folded both before the reconnect to prove the replay
    import time

    from tests.web.client import get_json

    deadline = time.monotonic() + 20
    while get_json(served.base, "/api/runs")["total"] < 6:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = listen({"Last-Event-ID": resume_from})
    got = set()
    while not {b, c} <= got:
        block = again.next_block()
        assert block.event != "reset"
        if block.event == "runs":
            got |= {r["id"] for r in json.loads(block.data)["changed"]}


def test_an_unknown_last_event_id_gets_a_reset(listen):
    events = listen({"Last-Event-ID": "999999"})
    assert events.next_event("reset").event == "reset"


def test_pings_keep_the_connection_alive(store, serve_app):
    fill(store)
    with serve_app(create_app(store, ping_s=0.05)) as base:
        events = EventStream(base)
        try:
            events.next_block()
            assert events.next_block().comments == ["ping"]
        finally:
            events.close()


def _row(run_id: str, n: int = 0) -> dict:
    return {"id": run_id, "status": "running", "n": n}


def test_a_slow_subscriber_gets_one_merged_message():
    hub = Hub()
    sub = hub.subscribe(None)
    for n in range(100):
        hub.publish(Delta([_row("a", n)], []))
    hub.publish(Delta([_row("b")], []))
    message = sub.take().decode()
    data = json.loads(message.split("data: ", 1)[1])
    assert [(r["id"], r["n"]) for r in data["changed"]] == [("a", 99), ("b", 0)]
    assert message.startswith(f"id: {hub.seq}\n")
    assert sub.take() == b""


def test_a_subscriber_too_far_behind_is_reset_not_grown(monkeypatch):
    monkeypatch.setattr(stream_module, "MAX_PENDING_RUNS", 10)
    hub = Hub()
    sub = hub.subscribe(None)
    for n in range(50):
        hub.publish(Delta([_row(f"run{n}")], []))
    assert sub.take().decode().split("\n")[1] == "event: reset"
    assert not sub.changed


def test_a_last_event_id_older_than_the_history_gets_a_reset():
    hub = Hub()
    for n in range(stream_module.HISTORY + 5):
        hub.publish(Delta([_row(f"run{n}")], []))
    assert hub.subscribe("1").reset
    recent = hub.subscribe(str(hub.seq - 3))
    assert not recent.reset
    data = json.loads(recent.take().decode().split("data: ", 1)[1])
    assert len(data["changed"]) == 3


def test_a_last_event_id_of_non_ascii_digits_gets_a_reset(listen):
    events = listen({"Last-Event-ID": "²"})  # isdigit() but not int(): was a 500
    assert events.next_event("reset").event == "reset"
