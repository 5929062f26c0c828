"""The HTTP write API (``runar serve --write``): runs, metrics, config, tags, notes, steps.

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
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runar.events import (
    AnyEvent,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TagsChanged,
)
from runar.ids import is_run_id, new_run_id, short
from runar.projects import store_project
from runar.redact import redact_mapping
from runar.store import Store
from runar.web.encoding import encode
from runar.web.tokens import Token, TokenBook
from runar.web.write_schema import (
    IDEMPOTENCY_KEY_CHARS,
    MAX_BODY_BYTES,
    BadRequest,
    EmptyBody,
    Finish,
    NewRun,
    NewStep,
    Note,
    StepFailure,
    Tags,
    check_config,
    clean_tags,
    decode,
    decode_points,
)
from runar.web.write_session import (
    SWEEP_INTERVAL_S,
    RateLimit,
    Replies,
    Reply,
    RunFacts,
    Writers,
    read_facts,
)

NDJSON_TYPES: Final = ("application/x-ndjson", "application/ndjson", "application/jsonl")
STEP_ID_BYTES: Final = 4
Handler = Callable[["Call"], Awaitable[tuple[int, dict[str, Any]]]]


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
        self.replies = Replies()
        self._facts: dict[str, RunFacts] = {}
        self._sweeper: asyncio.Task[None] | None = None

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
        from runar.web.write_artifacts import attach

        post = ["POST"]
        table: list[tuple[str, Handler]] = [
            ("/api/runs", self._create_run),
            ("/api/runs/{run_id}/finish", self._finish),
            ("/api/runs/{run_id}/metrics", self._metrics),
            ("/api/runs/{run_id}/config", self._config),
            ("/api/runs/{run_id}/tags", self._tags),
            ("/api/runs/{run_id}/notes", self._notes),
            ("/api/runs/{run_id}/steps", self._new_step),
            ("/api/runs/{run_id}/steps/{step_id}/complete", self._complete_step),
            ("/api/runs/{run_id}/steps/{step_id}/fail", self._fail_step),
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
        token = self.book.check(secret)
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
                call = Call(request, token, run_id, body)
                if key is None:
                    status, data = await handler(call)
                    return reply(status, data)
                fingerprint = hashlib.sha256(
                    f"{request.method} {request.url.path}?{request.url.query}\n".encode() + body
                ).hexdigest()
                return await self.once(key, fingerprint, lambda: handler(call))
            except BadRequest as exc:
                return reply(exc.status, exc.record())
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

    async def facts(self, run_id: str | None, token: Token) -> RunFacts:
        """The run a path names, if it exists and the token may write to it."""
        if run_id is None or not is_run_id(run_id):
            raise BadRequest(404, f"'{run_id}' is not a run id; POST /api/runs returns one", "id")
        facts = self._facts.get(run_id)
        if facts is None:
            run_dir = self.store.run_dir(run_id)
            if not run_dir.is_dir() or run_id in self.store.tombstones():
                raise BadRequest(404, f"no run '{run_id}' in this store", "id")
            facts = await asyncio.to_thread(read_facts, run_dir)
            self._facts[run_id] = facts
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
        writer = self.writers.get(call.token.name, call.run_id)
        for event in events:
            writer.append(event)
            if type(event) is not MetricsLogged:  # the facts are about steps and the run
                facts.fold(event)
        if _durable(call.request):
            await asyncio.to_thread(writer.flush, True)
        else:
            writer.flush()

    # -- handlers -------------------------------------------------------------------
    async def _create_run(self, call: Call) -> tuple[int, dict[str, Any]]:
        new = decode(call.body, NewRun)
        token = call.token
        if token.project is not None and new.project not in (None, token.project):
            raise BadRequest(
                403,
                f"token '{token.name}' creates runs only in project '{token.project}'",
                "project",
            )
        project = new.project or token.project or store_project(self.store.root)
        tags = clean_tags(new.tags, "tags")
        config = check_config(new.config)
        command = new.command.split() if isinstance(new.command, str) else list(new.command)
        run_id = new_run_id()
        self.store.create()
        events: list[AnyEvent] = [
            RunStarted(
                run_id=run_id,
                name=new.name,
                source=f"http:{token.name}",
                command=command,
                host=new.host or "",
                user=new.user or "",
                parent_run=new.parent_run,
                parse_output=False,
                project=project,
            )
        ]
        if config:
            events.append(ConfigSet(values=redact_mapping(config)))
        if tags:
            events.append(TagsChanged(added=tags))
        facts = self._facts[run_id] = RunFacts()
        await self.append(Call(call.request, token, run_id, call.body), events, facts)
        return 201, {"id": run_id, "short_id": short(run_id), "project": project}

    async def _finish(self, call: Call) -> tuple[int, dict[str, Any]]:
        end = decode(call.body, Finish, empty_ok=True)
        facts = await self.facts(call.run_id, call.token)
        if facts.finished:
            raise BadRequest(409, f"run {short(call.run_id or '')} has already finished")
        event = RunFinished(
            status=end.status, exit_code=end.exit_code, error=end.error, error_type=end.error_type
        )
        await self.append(call, [event], facts)
        assert call.run_id is not None
        await asyncio.to_thread(self.writers.close, call.token.name, call.run_id)
        return 200, {"id": call.run_id, "status": end.status}

    async def _metrics(self, call: Call) -> tuple[int, dict[str, Any]]:
        content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
        points = decode_points(call.body, content_type in NDJSON_TYPES)
        facts = await self.facts(call.run_id, call.token)
        self.refuse_if_finished(call.run_id, facts)
        steps = {p.workflow_step for p in points if p.workflow_step is not None}
        for step_id in steps:
            await self.known_step(call.run_id or "", facts, step_id, "workflow_step")
        events: list[AnyEvent] = []
        for p in points:
            event = MetricsLogged(values=p.values, step=p.step, workflow_step=p.workflow_step)
            if p.ts:
                event.ts = p.ts
            events.append(event)
        await self.append(call, events, facts)
        return 200, {"accepted": len(events)}

    async def _config(self, call: Call) -> tuple[int, dict[str, Any]]:
        values = check_config(decode(call.body, dict[str, Any]))
        facts = await self.facts(call.run_id, call.token)
        self.refuse_if_finished(call.run_id, facts)
        await self.append(call, [ConfigSet(values=redact_mapping(values))], facts)
        return 200, {"keys": len(values)}

    async def _tags(self, call: Call) -> tuple[int, dict[str, Any]]:
        tags = decode(call.body, Tags)
        added, removed = clean_tags(tags.add, "add"), clean_tags(tags.remove, "remove")
        if not added and not removed:
            raise BadRequest(422, 'no tag to add or remove; e.g. {"add": ["baseline"]}', "add")
        facts = await self.facts(call.run_id, call.token)
        await self.append(call, [TagsChanged(added=added, removed=removed)], facts)
        return 200, {"added": added, "removed": removed}

    async def _notes(self, call: Call) -> tuple[int, dict[str, Any]]:
        note = decode(call.body, Note)
        facts = await self.facts(call.run_id, call.token)
        await self.append(call, [NoteAdded(text=note.text)], facts)
        return 200, {"ok": True}

    async def _new_step(self, call: Call) -> tuple[int, dict[str, Any]]:
        new = decode(call.body, NewStep)
        facts = await self.facts(call.run_id, call.token)
        self.refuse_if_finished(call.run_id, facts)
        if new.parent is not None:
            await self.known_step(call.run_id or "", facts, new.parent, "parent")
        step_id = os.urandom(STEP_ID_BYTES).hex()  # the SDK's shape: 8 hex characters
        started = StepStarted(step_id=step_id, name=new.name, parent=new.parent)
        await self.append(call, [started], facts)
        return 201, {"step_id": step_id, "name": new.name, "parent": new.parent}

    async def _complete_step(self, call: Call) -> tuple[int, dict[str, Any]]:
        decode(call.body, EmptyBody, empty_ok=True)
        return await self._end_step(call, None)

    async def _fail_step(self, call: Call) -> tuple[int, dict[str, Any]]:
        return await self._end_step(call, decode(call.body, StepFailure, empty_ok=True))

    async def _end_step(
        self, call: Call, failure: StepFailure | None
    ) -> tuple[int, dict[str, Any]]:
        """Complete the step (``failure`` None) or fail it with the error given."""
        step_id = call.request.path_params["step_id"]
        facts = await self.facts(call.run_id, call.token)
        status = await self.known_step(call.run_id or "", facts, step_id, "step")
        if status != "running":
            raise BadRequest(409, f"step '{step_id}' has already ended ({status})", "step")
        if failure is None:
            event = StepFinished(step_id=step_id, status="completed")
        else:
            event = StepFinished(
                step_id=step_id,
                status="failed",
                error=failure.error,
                error_type=failure.error_type,
            )
        await self.append(call, [event], facts)
        return 200, {"step_id": step_id, "status": event.status}

    def refuse_if_finished(self, run_id: str | None, facts: RunFacts) -> None:
        """409 for metrics, config, steps and artifacts once the run has finished."""
        if facts.finished:
            raise BadRequest(
                409,
                f"run {short(run_id or '')} has finished; tags and notes may still be "
                "added, anything else belongs to a new run",
            )


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
