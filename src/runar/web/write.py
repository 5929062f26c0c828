"""The HTTP write API (``runar serve --write``): the frame every write passes through.

Token, rate, body limit, Idempotency-Key, the run's facts, then the append; the
endpoints themselves are in write_runs.py (runs, metrics, steps…) and
write_artifacts.py (files).

Every request needs ``Authorization: Bearer TOKEN`` with a write token (``runar token
create``), even on loopback; a ``write:PROJECT`` token reaches only that project's runs.
The body is read and validated whole before anything is appended, so a refused request
writes nothing. Events go through a JournalWriter per (token, run) with role
``http:<token>``, like any other writer of the run.

Durability of a reply: a 2xx is sent once the events are in the operating system (written
to the segment file, not yet fsynced), so killing the server loses nothing acknowledged;
a machine crash can lose the last ``RUNAR_FSYNC_INTERVAL``. ``?durable=1`` (or the header
``Runar-Durable: 1``) fsyncs before replying.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runar.errors import UsageError
from runar.events import (
    AnyEvent,
    MetricsLogged,
)
from runar.ids import is_run_id, short
from runar.projects import store_project
from runar.store import Store
from runar.web.encoding import encode
from runar.web.tokens import CONFIG_DIRNAME, Token, TokenBook
from runar.web.write_replies import REPLIES_FILENAME, Replies, Reply
from runar.web.write_schema import (
    IDEMPOTENCY_KEY_CHARS,
    MAX_BODY_BYTES,
    BadRequest,
)
from runar.web.write_session import (
    SWEEP_INTERVAL_S,
    RateLimit,
    RunFacts,
    Writers,
    catch_up_facts,
    read_facts,
)

Handler = Callable[["WriteApi", "Call"], Awaitable[tuple[int, dict[str, Any]]]]


@dataclass
class Limits:
    """Sizes and rates; the defaults are the Final constants of write_schema/write_session."""

    max_body: int = MAX_BODY_BYTES
    max_artifact: int | None = None  # None: write_schema.MAX_ARTIFACT_BYTES
    rate: RateLimit = field(default_factory=RateLimit)


@dataclass
class Call:
    """One authorised write: who sends it, to which run, with what body."""

    request: Request
    token: Token
    run_id: str | None
    body: bytes
    idempotency_key: str | None = None


def reply(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        encode(data),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store", **(headers or {})},
    )


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def _durable(request: Request) -> bool:
    flag = request.query_params.get("durable") or request.headers.get("runar-durable") or ""
    return flag.lower() in ("1", "true", "yes")


class WriteApi:
    """The write endpoints of one store and the state they share."""

    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.book = TokenBook(store)
        self.limits = limits or Limits()
        self.writers = Writers(store.runs_dir)
        self.replies = Replies(path=store.root / CONFIG_DIRNAME / REPLIES_FILENAME)
        self._facts: dict[str, RunFacts] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._damaged: str | None = None  # the tokens file's damage, said once on stderr

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        """Close idle writers every SWEEP_INTERVAL_S (call inside the server's loop)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            await asyncio.to_thread(self.writers.sweep)

    def close(self) -> None:
        """Flush, fsync and seal every open writer (the server is stopping)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        self.writers.close_all()

    def routes(self) -> list[Route]:
        from runar.web import write_runs as runs
        from runar.web.write_artifacts import attach

        post = ["POST"]
        table: list[tuple[str, Handler]] = [
            ("/api/runs", runs.create_run),
            ("/api/runs/{run_id}/finish", runs.finish),
            ("/api/runs/{run_id}/metrics", runs.metrics),
            ("/api/runs/{run_id}/config", runs.config),
            ("/api/runs/{run_id}/tags", runs.tags),
            ("/api/runs/{run_id}/notes", runs.notes),
            ("/api/runs/{run_id}/steps", runs.new_step),
            ("/api/runs/{run_id}/steps/{step_id}/complete", runs.complete_step),
            ("/api/runs/{run_id}/steps/{step_id}/fail", runs.fail_step),
        ]
        routes = [Route(path, self._endpoint(handler), methods=post) for path, handler in table]
        routes.append(Route("/api/runs/{run_id}/artifacts", attach(self), methods=post))
        return routes

    # -- the frame every request goes through ---------------------------------------
    def authorise(self, request: Request) -> Token:
        """The write token the request carries; 401 without one, 403 for a read token."""
        secret = _bearer(request)
        if secret is None:
            raise BadRequest(
                401,
                "a write token is needed: send 'Authorization: Bearer TOKEN' "
                "(create one with 'runar token create --name NAME --scope write')",
            )
        try:
            token = self.book.check(secret)
        except UsageError as exc:  # a damaged tokens file: the operator's to fix, not the client's
            if self._damaged != str(exc):
                self._damaged = str(exc)
                print(f"runar serve: {exc}", file=sys.stderr)
            raise BadRequest(
                503, "the server cannot read its tokens; its operator sees why in its output"
            ) from None
        if token is None:
            raise BadRequest(401, "this token is unknown or revoked; see 'runar token ls'")
        if not token.can_write:
            raise BadRequest(
                403, f"token '{token.name}' may only read; writing needs a --scope write token"
            )
        wait = self.limits.rate.take(token.name)
        if wait > 0:
            raise RateLimited(wait)
        return token

    def idempotency_key(self, request: Request, token: Token) -> tuple[str, str] | None:
        key = request.headers.get("idempotency-key")
        if key is None:
            return None
        if not key or len(key) > IDEMPOTENCY_KEY_CHARS or not key.isprintable():
            raise BadRequest(
                400, f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_CHARS} printable characters"
            )
        return (token.name, key)

    async def read_body(self, request: Request) -> bytes:
        """The whole body, or 413 as soon as it is longer than the limit."""
        limit = self.limits.max_body
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BadRequest(413, f"the body is {declared} bytes; at most {limit} are accepted")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"the body is over {limit} bytes; send smaller batches")
            chunks.append(chunk)
        return b"".join(chunks)

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                token = self.authorise(request)
                key = self.idempotency_key(request, token)
                body = await self.read_body(request)
                run_id = request.path_params.get("run_id")
                call = Call(request, token, run_id, body, key[1] if key else None)
                if key is None:
                    status, data = await handler(self, call)
                    return reply(status, data)
                fingerprint = hashlib.sha256(
                    f"{request.method} {request.url.path}?{request.url.query}\n".encode() + body
                ).hexdigest()
                return await self.once(key, fingerprint, lambda: handler(self, call))
            except BadRequest as exc:
                said = _with_hint(exc, request)
                return reply(said.status, said.record())
            except RateLimited as exc:
                return exc.response()

        return endpoint

    async def once(
        self,
        key: tuple[str, str],
        fingerprint: str,
        act: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
    ) -> Response:
        """Do ``act`` once per key; a repeat gets the first reply and writes nothing."""
        lock = self.replies.lock(key)
        try:
            async with lock:
                known = self.replies.get(key)
                if known is not None:
                    if known.fingerprint != fingerprint:
                        raise BadRequest(
                            422,
                            "this Idempotency-Key was used for a different request; "
                            "use a new key for a new write",
                        )
                    return _replayed(known)
                status, data = await act()
                body = encode(data)
                self.replies.put(key, Reply(status, body, fingerprint, time.monotonic()))
                return Response(
                    body,
                    status_code=status,
                    media_type="application/json",
                    headers={"cache-control": "no-store"},
                )
        finally:
            self.replies.release(key)

    def remember(self, run_id: str) -> RunFacts:
        """The facts of a run this server has just created."""
        facts = self._facts[run_id] = RunFacts()
        self.writers.deleted.discard(run_id)  # an id derived from a key, used again
        return facts

    async def facts(self, run_id: str | None, token: Token) -> RunFacts:
        """The run a path names, if it exists and the token may write to it."""
        if run_id is None or not is_run_id(run_id):
            raise BadRequest(404, f"'{run_id}' is not a run id; POST /api/runs returns one", "id")
        facts = self._facts.get(run_id)
        run_dir = self.store.run_dir(run_id)
        if facts is None:
            if not run_dir.is_dir() or run_id in self.store.tombstones():
                raise BadRequest(404, f"no run '{run_id}' in this store", "id")
            facts = await asyncio.to_thread(read_facts, run_dir, self.writers.own)
            # a concurrent request may have read it meanwhile and already written: one
            # RunFacts per run, or two finishes would both see an unfinished run
            facts = self._facts.setdefault(run_id, facts)
        else:  # others may have moved, ended or deleted it since: look again
            if not run_dir.is_dir():
                del self._facts[run_id]
                raise BadRequest(404, f"no run '{run_id}' in this store", "id")
            catch_up_facts(facts, run_dir, self.writers.own)
        if token.project is not None:
            project = facts.project or store_project(self.store.root)
            if project != token.project:
                raise BadRequest(
                    403,
                    f"token '{token.name}' writes only to project '{token.project}'; "
                    f"run {short(run_id)} is in '{project}'",
                    "project",
                )
        return facts

    async def known_step(self, run_id: str, facts: RunFacts, step_id: str, field: str) -> str:
        """The status of a step of the run; a step another writer started is looked up."""
        status = facts.steps.get(step_id)
        if status is None:  # started by another writer since: read the log again
            fresh = await asyncio.to_thread(read_facts, self.store.run_dir(run_id))
            facts.steps.update({k: v for k, v in fresh.steps.items() if k not in facts.steps})
            facts.finished = facts.finished or fresh.finished
            status = facts.steps.get(step_id)
        if status is None:
            raise BadRequest(404, f"run {short(run_id)} has no step '{step_id}'", field)
        return status

    async def append(self, call: Call, events: list[AnyEvent], facts: RunFacts) -> None:
        """Append, then hand the events to the OS (and fsync with ?durable=1) before replying."""
        assert call.run_id is not None
        if call.run_id in self.writers.deleted:  # deleted between facts() and now
            raise BadRequest(404, f"no run '{call.run_id}' in this store", "id")
        writer = self.writers.get(call.token.name, call.run_id)
        for event in events:
            writer.append(event)
            if type(event) is not MetricsLogged:  # the facts are about steps and the run
                facts.fold(event)
        if _durable(call.request):
            await asyncio.to_thread(writer.flush, True)
        else:
            writer.flush()

    def refuse_if_finished(self, run_id: str | None, facts: RunFacts) -> None:
        """409 for metrics, config, steps and artifacts once the run has finished."""
        if facts.finished:
            raise BadRequest(
                409,
                f"run {short(run_id or '')} has finished; tags and notes may still be "
                "added, anything else belongs to a new run",
            )


def _with_hint(exc: BadRequest, request: Request) -> BadRequest:
    """A body that is not JSON, said with what its Content-Type suggests the client meant."""
    if exc.status != 400 or "not valid JSON" not in exc.error:
        return exc
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent.startswith("multipart/"):
        return BadRequest(
            415,
            f"this endpoint takes a JSON body, not {sent} (only /artifacts takes a form); "
            "send it with -d '{...}'",
            exc.field,
        )
    if "trailing characters" in exc.error and request.url.path.endswith("/metrics"):
        return BadRequest(
            400,
            f"{exc.error}; one point per line is NDJSON: send "
            "'Content-Type: application/x-ndjson', or a JSON list of points",
            exc.field,
        )
    return exc


def _replayed(known: Reply) -> Response:
    return Response(
        known.body,
        status_code=known.status,
        media_type="application/json",
        headers={"cache-control": "no-store", "idempotent-replayed": "true"},
    )


class RateLimited(Exception):
    """429 with Retry-After: the token spent its request budget."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(wait_s)
        self.wait_s = wait_s

    def response(self) -> Response:
        import math

        return reply(
            429,
            {"error": "too many requests for this token; retry after the pause", "field": None},
            {"retry-after": str(max(1, math.ceil(self.wait_s)))},
        )
