"""The Starlette app: routes, the static front end, the live stream and its lifespan."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from runar.errors import AmbiguousRun, InvalidQuery, RunarError, RunNotFound
from runar.store import Store
from runar.web import api
from runar.web.run_output import OutputCache
from runar.web.security import Guard, SecurityMiddleware
from runar.web.store_access import StoreAccess
from runar.web.stream import LIVENESS_S, PING_S, Hub, StoreWatcher
from runar.web.table import RunTable
from runar.web.tokens import TokenBook

if TYPE_CHECKING:
    from runar.web.write import WriteApi

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
ERROR_STATUS: Final[dict[type[RunarError], int]] = {
    RunNotFound: 404,
    AmbiguousRun: 409,
    InvalidQuery: 400,
}


async def _runar_error(request: Request, exc: Exception) -> Response:
    status = next((s for cls, s in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
    return api.json_response({"error": str(exc)}, status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return api.json_response({"error": exc.detail}, exc.status_code)


def _still_allowed(request: Request) -> Callable[[], bool] | None:
    """For a stream opened with a `runar token`: is that token still valid? (None: no need)."""
    guard: Guard = request.app.state.guard
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if guard.token is None or guard.accepts is None or bearer is None:
        return None  # no token needed, or the server's own token (a cookie): never revoked
    if secrets.compare_digest(bearer.encode(), guard.token.encode()):
        return None
    accepts = guard.accepts

    def allowed() -> bool:
        try:
            return accepts(bearer)
        except RunarError:  # a damaged tokens file: end the stream, the reconnect says why
            return False

    return allowed


async def _index(request: Request) -> Response:
    page = STATIC_DIR / "index.html"
    if not page.is_file():
        return api.json_response({"error": "the web front end is not installed"}, 404)
    return FileResponse(page, media_type="text/html; charset=utf-8")


async def _stream(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    sub = hub.subscribe(request.headers.get("last-event-id"))
    return StreamingResponse(
        hub.messages(sub, _still_allowed(request)),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def create_app(
    store: Store,
    guard: Guard | None = None,
    ping_s: float = PING_S,
    liveness_s: float = LIVENESS_S,
    writes: WriteApi | None = None,
) -> Starlette:
    """The dashboard server for one store; read-only unless ``writes`` (runar serve --write)."""
    guard = guard or Guard.for_bind("127.0.0.1", None)
    if guard.accepts is None:  # where a token is needed, `runar token` ones open the reads
        book = TokenBook(store)
        guard = dataclasses.replace(guard, accepts=lambda secret: book.check(secret) is not None)
    access = StoreAccess(store)
    table = RunTable()
    hub = Hub(ping_s)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        table.load(await asyncio.to_thread(access.all_rows))
        loop = asyncio.get_running_loop()
        watcher = StoreWatcher(
            access, table, lambda d: loop.call_soon_threadsafe(hub.publish, d), liveness_s
        )
        watcher.start()
        if writes is not None:
            writes.start()
        try:
            yield
        finally:
            hub.close()
            if writes is not None:
                await asyncio.to_thread(writes.close)  # seals every HTTP writer's segment
            await asyncio.to_thread(watcher.stop)

    routes = [
        Route("/", _index),
        Route("/api/runs", api.runs),
        Route("/api/projects", api.projects),
        Route("/api/runs/{ref}", api.run),
        Route("/api/runs/{ref}/metrics", api.run_metrics),
        Route("/api/runs/{ref}/steps", api.steps),
        Route("/api/runs/{ref}/artifacts", api.artifacts),
        Route("/api/runs/{ref}/artifacts/{name:path}", api.artifact),
        Route("/api/runs/{ref}/logs", api.logs),
        Route("/api/runs/{ref}/system", api.system),
        Route("/api/metrics", api.overlay),
        Route("/api/sweeps", api.sweeps),
        Route("/api/sweeps/{ref}", api.sweep),
        Route("/api/stream", _stream),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
        *(writes.routes() if writes is not None else []),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityMiddleware, guard=guard)],
        exception_handlers={RunarError: _runar_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.api = api.Api(store, access, table, OutputCache(store))
    app.state.hub = hub
    app.state.guard = guard
    app.state.table = table
    return app
