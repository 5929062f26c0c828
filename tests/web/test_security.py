"""A served page is an attack surface: Host, token, Origin, artifacts, filters, headers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from runar.events import ArtifactAttached
from runar.journal import JournalWriter
from runar.web.app import create_app
from runar.web.security import CSP, Guard
from runar.web.tokens import TokenBook
from tests.web.client import EventStream, request
from tests.web.conftest import fill


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example"])
def test_wrong_host_is_refused(served, host):
    reply = request(served.base, "/api/runs", {"Host": host})
    assert reply.status == 400
    assert "allowed-hosts" in reply.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"])
def test_loopback_hosts_are_accepted(served, host):
    assert request(served.base, "/api/runs", {"Host": host}).status == 200


def test_allowed_hosts_extend_the_list(store, serve_app):
    fill(store)
    guard = Guard.for_bind("127.0.0.1", None, ["dash.lan"])
    with serve_app(create_app(store, guard)) as base:
        assert request(base, "/api/runs", {"Host": "dash.lan:8765"}).status == 200
        assert request(base, "/api/runs", {"Host": "other.lan"}).status == 400


def test_every_response_has_the_strict_headers(served):
    for path in ("/api/runs", "/api/runs/nosuch", "/"):
        reply = request(served.base, path)
        assert reply.headers["content-security-policy"] == CSP
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"


def test_no_cors_header_even_for_a_foreign_origin(served):
    reply = request(served.base, "/api/runs", {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in reply.headers}


def test_stream_from_a_foreign_origin_is_403(served):
    reply = request(served.base, "/api/stream", {"Origin": "https://evil.example"})
    assert reply.status == 403


def test_stream_from_its_own_origin_opens(served):
    port = served.base.rsplit(":", 1)[1]
    stream = EventStream(served.base, {"Origin": f"http://127.0.0.1:{port}"})
    try:
        assert stream.response.status == 200
        assert stream.response.headers["content-type"].startswith("text/event-stream")
    finally:
        stream.close()


def test_a_non_get_from_a_foreign_origin_is_403(served):
    reply = request(served.base, "/api/runs", {"Origin": "https://evil.example"}, method="POST")
    assert reply.status == 403


def test_the_api_is_read_only(served):
    assert request(served.base, "/api/runs/alpha", method="DELETE").status == 405


TOKEN = "s3cret-token"


@pytest.fixture
def guarded(store, serve_app):
    fill(store)
    with serve_app(create_app(store, Guard.for_bind("127.0.0.1", TOKEN))) as base:
        yield base


def test_token_needed(guarded):
    reply = request(guarded, "/api/runs")
    assert reply.status == 401
    assert "token" in reply.json()["error"]


def test_wrong_token_is_refused(guarded):
    assert request(guarded, "/api/runs?token=nope").status == 401
    assert request(guarded, "/api/runs", {"Authorization": "Bearer nope"}).status == 401


def test_bearer_token(guarded):
    assert request(guarded, "/api/runs", {"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_token_in_the_url_becomes_a_strict_cookie(guarded):
    reply = request(guarded, f"/?token={TOKEN}")
    assert reply.status == 303
    assert reply.headers["location"] == "/"
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    pair = cookie.split(";", 1)[0]
    assert request(guarded, "/api/runs", {"Cookie": pair}).status == 200


def test_non_loopback_serve_prints_a_token_url_and_demands_it(tmp_path):
    env = {**os.environ, "RUNAR_DIR": str(tmp_path / ".runar")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runar", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert found, line
        base = f"http://127.0.0.1:{found.group(1)}"
        import time

        deadline = time.monotonic() + 30
        while True:
            try:
                reply = request(base, "/api/runs")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert reply.status == 401
        bearer = {"Authorization": f"Bearer {found.group(2)}"}
        assert request(base, "/api/runs", bearer).status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%5C..%5Cetc%5Cpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "model.pt%00.png",
    ],
)
def test_artifact_path_traversal_is_404(served, name):
    reply = request(served.base, f"/api/runs/{served.runs['alpha']}/artifacts/{name}")
    assert reply.status == 404
    assert b"root:" not in reply.body


def test_an_artifact_whose_recorded_path_escapes_is_404(served):
    run_id = served.runs["beta"]
    w = JournalWriter(served.store.run_dir(run_id), run_id, role="sdk")
    w.append(
        ArtifactAttached(
            name="passwd", kind="file", size=1, sha256="0", path="../../../../../../etc/passwd"
        )
    )
    w.close()
    import time

    deadline = time.monotonic() + 20
    while "passwd" not in str(request(served.base, f"/api/runs/{run_id}/artifacts").body):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    reply = request(served.base, f"/api/runs/{run_id}/artifacts/passwd")
    assert reply.status == 404
    assert b"root:" not in reply.body


def test_an_artifact_symlink_out_of_the_folder_is_404(served):
    run_id = served.runs["alpha"]
    target = served.store.artifacts_dir(run_id) / "model.pt"
    target.unlink()
    target.symlink_to(Path("/etc/passwd"))
    reply = request(served.base, f"/api/runs/{run_id}/artifacts/model.pt")
    assert reply.status == 404


@pytest.mark.parametrize(
    "where",
    [
        "read_csv('/etc/passwd')",
        "x; DROP TABLE runs",
        "' OR 1=1 --",
        "1=1",
        "SELECT * FROM read_parquet('/etc/shadow')",
        'name:"a" OR 1=1',
        "lr<1e-3) OR (1",
        "`rm -rf /`",
        "lr<$(id)",
    ],
)
def test_filters_that_try_sql_or_files_are_400(served, where):
    reply = request(served.base, "/api/runs?where=" + quote(where))
    assert reply.status == 400, reply.body
    assert "filter" in reply.json()["error"] or "'" in reply.json()["error"]


@pytest.mark.timeout(60)
def test_a_stream_opened_with_a_runar_token_ends_when_the_token_is_revoked(store, serve_app):
    fill(store)
    book = TokenBook(store)
    _, kept = book.create("kept", "read")
    _, revoked = book.create("dash", "read")
    app = create_app(store, Guard.for_bind("127.0.0.1", TOKEN), ping_s=0.05)
    with serve_app(app) as base:
        streams = {
            secret: EventStream(base, {"Authorization": f"Bearer {secret}"})
            for secret in (kept, revoked)
        }
        try:
            for s in streams.values():
                assert s.response.status == 200
                s.next_block()
            book.revoke("dash")
            deadline = time.monotonic() + 10
            with pytest.raises(AssertionError, match="the stream ended"):
                while time.monotonic() < deadline:  # pings, then the end
                    streams[revoked].next_block()
            assert "ping" in streams[kept].next_block().comments  # the other goes on
            again = request(base, "/api/stream", {"Authorization": f"Bearer {revoked}"})
            assert again.status == 401
        finally:
            for s in streams.values():
                s.close()
