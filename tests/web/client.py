"""A plain HTTP client for the API tests: urllib and http.client, no framework."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_S = 20.0


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Reply:
    """Send ``path`` exactly as given (no normalisation of '..' or escapes)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)
    try:
        conn.putrequest(method, path, skip_host="host" in {k.lower() for k in headers or {}})
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def get_json(base: str, path: str, headers: dict[str, str] | None = None) -> Any:
    reply = request(base, path, headers)
    assert reply.status == 200, (reply.status, reply.body)
    assert reply.headers["content-type"].startswith("application/json")
    return reply.json()


@dataclass
class Event:
    id: str | None = None
    event: str = "message"
    data: str = ""
    comments: list[str] = field(default_factory=list)


class EventStream:
    """An open ``GET /api/stream``, read one SSE block at a time."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        self.conn.request("GET", "/api/stream", headers=headers or {})
        self.response = self.conn.getresponse()
        self.last_id: str | None = None

    def next_block(self) -> Event:
        """The next block up to a blank line: an event, an id-only block or a comment."""
        block = Event()
        while True:
            try:
                raw = self.response.fp.readline()
            except TimeoutError as exc:  # pragma: no cover - only on a broken server
                raise AssertionError("no event within the timeout") from exc
            if not raw:
                raise AssertionError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line == "":
                if block.id is not None:
                    self.last_id = block.id
                return block
            if line.startswith(":"):
                block.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "id":
                    block.id = value
                elif name == "event":
                    block.event = value
                elif name == "data":
                    block.data += value

    def next_event(self, kind: str) -> Event:
        """Skip pings and id-only blocks until an event of ``kind``."""
        while True:
            block = self.next_block()
            if block.event == kind and block.data:
                return block
            assert block.event in ("message", kind), f"unexpected event {block.event}"

    def close(self) -> None:
        self.conn.close()
