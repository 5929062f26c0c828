"""Every request passes here: Host check, token, Origin check, and strict response headers.

A page on localhost is reachable from any web site the user visits (DNS rebinding,
cross-site requests), so the Host header is checked on every request, loopback
included; the stream and any non-GET must come from the page's own origin; a server
bound beyond loopback needs a token, given once in the URL and then kept in an
HttpOnly SameSite=Strict cookie (API clients send ``Authorization: Bearer``). No CORS
header is ever sent.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Final
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runar.web.encoding import encode

LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "::1")
ANY_HOST: Final = "*"
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
SAFE_HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
SAFE_METHODS: Final = ("GET", "HEAD")
ORIGIN_CHECKED_PATHS: Final = ("/api/stream",)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host of a Host header, without port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass(frozen=True)
class Guard:
    """What the server accepts: host names and the token (None: no token needed)."""

    allowed_hosts: frozenset[str]
    token: str | None = None
    # where a token is needed, also a `runar token` one sent as a Bearer (web/tokens.py)
    accepts: Callable[[str], bool] | None = None

    @classmethod
    def for_bind(cls, host: str, token: str | None, extra_hosts: Iterable[str] = ()) -> Guard:
        """Loopback names, the bound address when it is a specific one, and ``extra_hosts``."""
        allowed = {*LOOPBACK_NAMES, *(host_name(h) for h in extra_hosts if h)}
        if host not in ("0.0.0.0", "::", ""):
            allowed.add(host_name(host))
        return cls(frozenset(allowed), token)

    def host_allowed(self, header: str) -> bool:
        return ANY_HOST in self.allowed_hosts or host_name(header) in self.allowed_hosts


def cookie_name(scope: Scope) -> str:
    """Per port, since cookies ignore ports and two servers may run on one host."""
    server = scope.get("server") or ("", 0)
    return f"runar_token_{server[1]}"


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _same_origin(origin: str, host_header: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()


class SecurityMiddleware:
    """Pure ASGI middleware (streams pass through unbuffered)."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.guard.host_allowed(host):
            await _reply(send, 400, f"host '{host}' is not allowed; add it with --allowed-hosts")
            return
        method = scope["method"]
        origin = headers.get("origin")
        checked = method not in SAFE_METHODS or scope["path"] in ORIGIN_CHECKED_PATHS
        if checked and origin is not None and not _same_origin(origin, host):
            await _reply(send, 403, f"origin '{origin}' may not use this server")
            return
        set_cookie: bytes | None = None
        token = self.guard.token
        if token is not None:
            name = cookie_name(scope)
            jar = SimpleCookie(headers.get("cookie", ""))
            cookie = jar[name].value if name in jar else None
            auth = headers.get("authorization", "")
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])
            in_query = _same(query[-1], token)
            named = bearer is not None and self.guard.accepts is not None
            if not (
                _same(cookie, token)
                or _same(bearer, token)
                or in_query
                or (named and self.guard.accepts(bearer))  # type: ignore[misc]
            ):
                await _reply(
                    send,
                    401,
                    "a token is needed: open the URL 'runar serve' printed, "
                    "or send 'Authorization: Bearer TOKEN'",
                )
                return
            if in_query:
                set_cookie = f"{name}={token}; HttpOnly; SameSite=Strict; Path=/".encode()
                if scope["path"] == "/" and method in SAFE_METHODS:
                    # the token leaves the address bar (and history) for the cookie
                    await _redirect(send, "/", set_cookie)
                    return

        async def send_safely(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(SAFE_HEADERS)
                if set_cookie is not None:
                    extra.append((b"set-cookie", set_cookie))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_safely)


async def _reply(send: Send, status: int, error: str) -> None:
    body = encode({"error": error})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SAFE_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, cookie: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode()),
                (b"set-cookie", cookie),
                (b"content-length", b"0"),
                *SAFE_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
