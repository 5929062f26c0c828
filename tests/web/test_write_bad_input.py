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


BIG_INT = "1" * 400  # a JSON number no double holds
DEEP = "[" * 5000 + "]" * 5000  # past the decoder's recursion limit


@pytest.mark.parametrize("ndjson", [False, True])
def test_a_metric_integer_no_double_holds_is_422_naming_it(writable, run_id, ndjson):
    count = len(writable.events(run_id))
    kind = "application/x-ndjson" if ndjson else "application/json"
    with writable.client() as c:
        reply = c.post(
            f"/api/runs/{run_id}/metrics",
            content='{"values": {"ok": 1, "big": ' + BIG_INT + "}}",
            headers={"content-type": kind},
        )
    assert reply.status_code == 422, reply.text  # was a 500 with a traceback
    assert reply.json()["field"] == "values.big"
    assert len(writable.events(run_id)) == count


@pytest.mark.parametrize("number", ["123456789012345678901234567890", "-9223372036854775809"])
def test_a_config_integer_beyond_64_bits_is_refused_and_the_views_keep_working(
    writable, run_id, number
):
    count = len(writable.events(run_id))
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/config", content='{"m": {"seed": ' + number + "}}")
        assert reply.status_code == 422 and reply.json()["field"] == "config.m.seed", reply.text
        created = c.post("/api/runs", content='{"config": {"seed": ' + number + "}}")
        assert created.status_code == 422 and created.json()["field"] == "config.seed"
        # accepted, it made every catch-up of the index fail: `runar ls` showed a traceback
        assert c.get("/api/runs").status_code == 200
    assert len(writable.events(run_id)) == count


def test_a_config_integer_within_64_bits_is_kept(writable, run_id):
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/config", json={"big": 2**64 - 1, "small": -(2**63)})
    assert reply.status_code == 200, reply.text


def test_a_config_number_out_of_range_names_its_key(writable, run_id):
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/config", content=b'{"m": {"lr": [1, 1e999]}}')
        created = c.post("/api/runs", content=b'{"config": {"lr": 1e999}}')
    assert reply.status_code == 422 and reply.json()["field"] == "config.m.lr[1]"
    assert created.status_code == 422 and created.json()["field"] == "config.lr"


@pytest.mark.parametrize(
    ("path", "body", "params"),
    [
        ("config", '{"a": ' + DEEP + "}", {}),
        ("notes", '{"text": "x"}', {}),  # the control: the same request, not nested
        ("artifacts", DEEP, {"name": "report", "kind": "json"}),
    ],
    ids=["config", "control", "json-artifact"],
)
def test_json_nested_past_the_decoders_limit_is_422_not_500(writable, run_id, path, body, params):
    count, files = len(writable.events(run_id)), writable.files()
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/{path}", content=body, params=params)
    if path == "notes":
        assert reply.status_code == 200, reply.text
        return
    assert reply.status_code == 422, reply.text  # was a 500: RecursionError in the decoder
    assert "nests too deeply" in reply.json()["error"]
    assert len(writable.events(run_id)) == count and writable.files() == files


def test_a_new_run_whose_config_nests_past_the_decoders_limit_is_422(writable):
    before = writable.files()
    with writable.client() as c:
        reply = c.post("/api/runs", content='{"config": {"a": ' + DEEP + "}}")
    assert reply.status_code == 422 and "nests too deeply" in reply.json()["error"], reply.text
    assert writable.files() == before


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "nan"])
@pytest.mark.parametrize("path", ["metrics", "config"])
def test_nan_or_infinity_in_a_body_is_said_as_such(writable, run_id, token, path):
    count = len(writable.events(run_id))
    body = '{"values": {"loss": ' + token + "}}" if path == "metrics" else '{"lr": ' + token + "}"
    with writable.client() as c:
        reply = c.post(f"/api/runs/{run_id}/{path}", content=body)
    assert reply.status_code == 400, reply.text  # was "JSON is malformed: invalid character"
    assert reply.json()["error"].startswith("JSON has no NaN or Infinity (byte ")
    assert len(writable.events(run_id)) == count


def test_nan_on_an_ndjson_line_names_the_line(writable, run_id):
    body = '{"values": {"a": 1}}\n{"values": {"a": NaN}}\n'
    with writable.client() as c:
        reply = c.post(
            f"/api/runs/{run_id}/metrics",
            content=body,
            headers={"content-type": "application/x-ndjson"},
        )
    assert reply.status_code == 400
    assert reply.json()["error"].startswith("line 2: JSON has no NaN or Infinity")
