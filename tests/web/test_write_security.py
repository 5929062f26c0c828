"""The write API refuses what it must, with the right 4xx and the field, and then writes nothing."""

from __future__ import annotations

import pytest

from runar.events import MetricsLogged, RunStarted
from runar.store import Store
from runar.web.app import create_app
from runar.web.security import Guard
from runar.web.serve import serving_in_thread
from runar.web.tokens import TokenBook
from runar.web.write import Limits
from runar.web.write_session import RateLimit
from tests.web.write_helpers import writable_server


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """One server for the module (each test writes to a run of its own): starting one costs."""
    store = Store(tmp_path_factory.mktemp("write-security") / ".runar").create()
    with writable_server(store, Limits(max_body=64 * 1024, max_artifact=32 * 1024)) as served:
        yield served


@pytest.fixture
def run_id(writable):
    with writable.client() as c:
        return c.post("/api/runs", json={"name": "target"}).json()["id"]


def _unchanged(writable, run_id, send):
    """``send()`` returns a reply; the run's events and the files under runs/ stay as they were."""
    before_events = len(writable.events(run_id))
    before_files = writable.files()
    reply = send()
    assert len(writable.events(run_id)) == before_events
    assert writable.files() == before_files
    return reply


def test_no_token_is_401_even_on_loopback(writable, run_id):
    with writable.client("") as c:
        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}/notes", json={"text": "x"})
        )
    assert reply.status_code == 401
    assert "runar token create" in reply.json()["error"]


def test_an_unknown_or_revoked_token_is_401(writable, run_id):
    with writable.client("runar_not-a-token") as c:
        assert c.post(f"/api/runs/{run_id}/notes", json={"text": "x"}).status_code == 401
    _, secret = TokenBook(writable.store).create("short-lived", "write")
    with writable.client(secret) as c:
        assert c.post(f"/api/runs/{run_id}/notes", json={"text": "x"}).status_code == 200
    TokenBook(writable.store).revoke("short-lived")
    with writable.client(secret) as c:
        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}/notes", json={"text": "x"})
        )
    assert reply.status_code == 401


def test_a_read_token_cannot_write(writable, run_id):
    with writable.client(writable.read) as c:
        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}/tags", json={"add": ["x"]})
        )
        assert reply.status_code == 403
        assert c.post("/api/runs", json={}).status_code == 403


def test_a_project_token_writes_only_in_its_project(writable, run_id):
    with writable.client(writable.vision) as c:
        elsewhere = c.post("/api/runs", json={"project": "nlp"})
        assert elsewhere.status_code == 403 and elsewhere.json()["field"] == "project"
        mine = c.post("/api/runs", json={"name": "v"})
        assert mine.status_code == 201 and mine.json()["project"] == "vision"
        own = mine.json()["id"]
        assert c.post(f"/api/runs/{own}/metrics", json={"values": {"x": 1}}).status_code == 200
        foreign = _unchanged(
            writable,
            run_id,
            lambda: c.post(f"/api/runs/{run_id}/metrics", json={"values": {"x": 1}}),
        )
    assert foreign.status_code == 403 and foreign.json()["field"] == "project"
    started = next(e for e in writable.events(own) if isinstance(e, RunStarted))
    assert started.project == "vision" and started.source == "http:vis"


def test_an_unknown_run_is_404(writable):
    with writable.client() as c:
        assert c.post("/api/runs/0000000000000000/notes", json={"text": "x"}).status_code == 404
        assert c.post("/api/runs/..%2f..%2fetc/notes", json={"text": "x"}).status_code == 404


def test_an_oversized_body_is_413(writable, run_id):
    big = [{"step": i, "values": {"loss": 0.5, "pad": 1.0}} for i in range(3000)]  # > 64 kB
    with writable.client() as c:
        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}/metrics", json=big)
        )
        assert reply.status_code == 413

        def chunked():  # no Content-Length: counted while it streams
            for _ in range(100):
                yield b" " * 1024

        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}/metrics", content=chunked())
        )
        assert reply.status_code == 413


def test_an_oversized_artifact_is_413_and_leaves_no_file(writable, run_id):
    with writable.client() as c:
        raw = _unchanged(
            writable,
            run_id,
            lambda: c.post(
                f"/api/runs/{run_id}/artifacts", params={"name": "big.bin"}, content=b"x" * 40_000
            ),
        )
        assert raw.status_code == 413

        def chunked():
            for _ in range(40):
                yield b"x" * 1024

        streamed = _unchanged(
            writable,
            run_id,
            lambda: c.post(
                f"/api/runs/{run_id}/artifacts", params={"name": "big.bin"}, content=chunked()
            ),
        )
        assert streamed.status_code == 413
        form = _unchanged(
            writable,
            run_id,
            lambda: c.post(
                f"/api/runs/{run_id}/artifacts", files={"file": ("big.bin", b"x" * 40_000)}
            ),
        )
        assert form.status_code == 413


def test_too_many_points_in_one_batch_is_413(store):
    with writable_server(store) as writable, writable.client() as c:
        run_id = c.post("/api/runs", json={}).json()["id"]
        lines = "".join('{"values": {"x": 1}}\n' for _ in range(10_001))
        reply = c.post(
            f"/api/runs/{run_id}/metrics",
            content=lines,
            headers={"content-type": "application/x-ndjson"},
        )
        assert reply.status_code == 413
        assert not any(isinstance(e, MetricsLogged) for e in writable.events(run_id))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b'{"values": {"loss": "nan"}}', 422, "values.loss"),
        (b'{"values": {"loss": "NaN"}}', 422, "values.loss"),
        (b'{"values": {"loss": 1e999}}', 422, "values.loss"),
        (b'{"values": {"loss": -1e400}}', 422, "values.loss"),
        (b'{"values": {"loss": 1}, "step": 100000000000000000000000000000}', 422, "step"),
        (b'{"values": {"loss": 1}, "step": -1}', 422, "step"),
        (b'{"values": {"loss": 1}, "step": 1.5}', 422, "step"),
        (b'{"values": {"loss": true}}', 422, "values.loss"),
        (b'{"values": {"loss": 1}, "extra": 1}', 422, "extra"),
        (b'{"values": {}}', 422, "values"),
        (b'{"values": {"": 1}}', 422, None),
        (b'{"values": {"a\\u0000b": 1}}', 422, None),
        (b'[{"values": {"ok": 1}}, {"values": {"bad": "x"}}]', 422, "[1].values.bad"),
        (b"", 400, None),
    ],
)
def test_bad_metrics_are_refused_whole(writable, run_id, body, status, field):
    with writable.client() as c:
        reply = _unchanged(
            writable,
            run_id,
            lambda: c.post(
                f"/api/runs/{run_id}/metrics",
                content=body,
                headers={"content-type": "application/json"},
            ),
        )
    assert reply.status_code == status, reply.text
    assert set(reply.json()) == {"error", "field"}
    if field is not None:
        assert reply.json()["field"] == field


def test_one_bad_ndjson_line_refuses_the_batch(writable, run_id):
    lines = (
        '{"step": 1, "values": {"a": 1}}\n'
        '{"step": 2, "values": {"a": "x"}}\n'
        '{"step": 3, "values": {"a": 3}}\n'
    )
    with writable.client() as c:
        reply = _unchanged(
            writable,
            run_id,
            lambda: c.post(
                f"/api/runs/{run_id}/metrics",
                content=lines,
                headers={"content-type": "application/x-ndjson"},
            ),
        )
    assert reply.status_code == 422
    assert reply.json()["error"].startswith("line 2:") and reply.json()["field"] == "values.a"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/config", b'{"a": 1e999}'),
        ("/config", b"[1, 2]"),
        ("/tags", b'{"add": ["ok", "  "]}'),
        ("/tags", b'{"add": ["a\\nb"]}'),
        ("/tags", b'{"added": ["x"]}'),
        ("/notes", b'{"text": ""}'),
        ("/notes", b'{"text": 5}'),
        ("/steps", b'{"name": ""}'),
        ("/steps", b'{"name": "x", "parent": "../../etc"}'),
        ("/finish", b'{"status": "great"}'),
        ("/finish", b'{"exit_code": 99999999999}'),
    ],
)
def test_bad_bodies_elsewhere_are_refused(writable, run_id, path, body):
    with writable.client() as c:
        reply = _unchanged(
            writable, run_id, lambda: c.post(f"/api/runs/{run_id}{path}", content=body)
        )
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.json()["error"]


@pytest.mark.parametrize(
    "name",
    ["../x", "a/../../x", "/etc/passwd", "C:/x", "a\x00b", "a\nb", "x" * 10_000, "..", "./"],
)
def test_hostile_artifact_names_are_refused(writable, run_id, name):
    with writable.client() as c:
        raw = _unchanged(
            writable,
            run_id,
            lambda: c.post(f"/api/runs/{run_id}/artifacts", params={"name": name}, content=b"data"),
        )
        assert raw.status_code == 422 and raw.json()["field"] == "name", raw.text
        if "\x00" not in name and "\n" not in name:  # a form field cannot carry those
            form = _unchanged(
                writable,
                run_id,
                lambda: c.post(
                    f"/api/runs/{run_id}/artifacts",
                    data={"name": name},
                    files={"file": ("f", b"data")},
                ),
            )
            assert form.status_code == 422, form.text
    assert not writable.store.artifacts_dir(run_id).exists() or not any(
        writable.store.artifacts_dir(run_id).rglob("*")
    )


def test_a_hostile_upload_filename_is_refused(writable, run_id):
    with writable.client() as c:
        reply = c.post(
            f"/api/runs/{run_id}/artifacts", files={"file": ("../../evil.sh", b"rm -rf")}
        )
    assert reply.status_code == 422 and reply.json()["field"] == "name"


def test_the_rate_limit_answers_429_with_retry_after(store):
    limits = Limits(rate=RateLimit(rate=0.5, burst=3))
    with writable_server(store, limits) as writable, writable.client() as c:
        run_id = c.post("/api/runs", json={}).json()["id"]
        replies = [c.post(f"/api/runs/{run_id}/notes", json={"text": str(i)}) for i in range(4)]
        assert [r.status_code for r in replies] == [200, 200, 429, 429]
        assert int(replies[-1].headers["retry-after"]) >= 1
        with writable.client(writable.vision) as other:  # the budget is per token
            assert other.post("/api/runs", json={}).status_code == 201


def test_a_foreign_origin_cannot_write(writable, run_id):
    with writable.client() as c:
        reply = c.post(
            f"/api/runs/{run_id}/notes",
            json={"text": "x"},
            headers={"origin": "https://evil.example"},
        )
    assert reply.status_code == 403


def test_the_same_idempotency_key_for_another_request_is_422(writable, run_id):
    with writable.client() as c:
        key = {"idempotency-key": "k1"}
        first = c.post(f"/api/runs/{run_id}/notes", json={"text": "a"}, headers=key)
        assert first.status_code == 200
        other = _unchanged(
            writable,
            run_id,
            lambda: c.post(f"/api/runs/{run_id}/notes", json={"text": "b"}, headers=key),
        )
        assert other.status_code == 422


def test_read_endpoints_take_any_named_token_where_one_is_needed(store):
    book = TokenBook(store)
    _, read = book.create("dash", "read")
    guard = Guard.for_bind("0.0.0.0", "serve-token")
    import httpx

    with serving_in_thread(create_app(store, guard)) as base:
        assert httpx.get(base + "/api/runs").status_code == 401
        assert (
            httpx.get(base + "/api/runs", headers={"authorization": f"Bearer {read}"}).status_code
            == 200
        )
        assert (
            httpx.get(base + "/api/runs", headers={"authorization": "Bearer nope"}).status_code
            == 401
        )
        # without --write there is no write endpoint, whatever the token
        reply = httpx.post(base + "/api/runs", json={}, headers={"authorization": f"Bearer {read}"})
        assert reply.status_code == 405


def test_beyond_loopback_a_write_token_passes_the_guard_and_the_serve_token_cannot_write(store):
    import httpx

    from runar.web.write import WriteApi

    _, write = TokenBook(store).create("ci", "write")
    guard = Guard.for_bind("0.0.0.0", "serve-token")
    with serving_in_thread(create_app(store, guard, writes=WriteApi(store))) as base:
        with_token = httpx.post(
            base + "/api/runs", json={}, headers={"authorization": f"Bearer {write}"}
        )
        assert with_token.status_code == 201
        serve_token = httpx.post(
            base + "/api/runs", json={}, headers={"authorization": "Bearer serve-token"}
        )
        assert serve_token.status_code == 401


def test_a_damaged_tokens_file_is_503_without_the_servers_path(writable, capfd):
    path = writable.store.root / "config" / "tokens.json"
    kept = path.read_bytes()
    path.write_bytes(b"{broken")
    try:
        with writable.client() as c:
            reply = c.post("/api/runs", json={"name": "x"})
    finally:
        path.write_bytes(kept)
    assert reply.status_code == 503
    assert str(writable.store.root) not in reply.text  # the client learns no server path
    assert "tokens.json is damaged" in capfd.readouterr().err  # the operator does
