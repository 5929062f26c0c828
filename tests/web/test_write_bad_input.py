"""Requests a client gets wrong are answered with what to send instead, and write nothing."""

from __future__ import annotations

import pytest

from runar.store import Store
from tests.web.write_helpers import writable_server


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("write-bad-input") / ".runar").create()
    with writable_server(store) as served:
        yield served


@pytest.fixture
def run_id(writable):
    with writable.client() as c:
        return c.post("/api/runs", json={"name": "target"}).json()["id"]


def test_a_parent_run_that_is_not_a_run_id_is_refused(writable):
    before = writable.files()
    with writable.client() as c:
        reply = c.post("/api/runs", json={"name": "child", "parent_run": "../zzz"})
    assert reply.status_code == 422 and reply.json()["field"] == "parent_run"
    assert writable.files() == before


def test_a_form_sent_to_a_json_endpoint_is_415_saying_send_json(writable, run_id):
    count = len(writable.events(run_id))
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/notes", files={"text": (None, "hello")})
    assert reply.status_code == 415
    assert "takes a JSON body" in reply.json()["error"]
    assert len(writable.events(run_id)) == count


def test_ndjson_sent_as_json_says_which_content_type_to_send(writable, run_id):
    count = len(writable.events(run_id))
    body = b'{"values": {"a": 1}}\n{"values": {"a": 2}}\n'
    with writable.client() as c:
        reply = c.post(
            f"/api/runs/{run_id}/metrics",
            content=body,
            headers={"content-type": "application/json"},
        )
    assert reply.status_code == 400
    assert "application/x-ndjson" in reply.json()["error"]
    assert len(writable.events(run_id)) == count


def test_an_over_long_config_key_is_refused(writable, run_id):
    count = len(writable.events(run_id))
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/config", json={"model": {"k" * 10_000: 1}})
    assert reply.status_code == 422 and reply.json()["field"] == "config.model"
    assert len(writable.events(run_id)) == count


@pytest.mark.parametrize(("first", "second"), [("x.txt", "x.txt/sub"), ("d/f", "d")])
def test_an_artifact_name_colliding_with_a_file_or_folder_is_409(writable, run_id, first, second):
    with writable.client() as c:
        put = c.post(f"/api/runs/{run_id}/artifacts", params={"name": first}, content=b"a")
        assert put.status_code == 201, put.text
        count, files = len(writable.events(run_id)), writable.files()
        reply = c.post(f"/api/runs/{run_id}/artifacts", params={"name": second}, content=b"b")
    assert reply.status_code == 409 and reply.json()["field"] == "name", reply.text  # was 500/507
    assert len(writable.events(run_id)) == count and writable.files() == files
