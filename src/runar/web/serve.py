"""Start the server: bind, print the URL once, optionally open a browser, run uvicorn."""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from runar.errors import UsageError
from runar.store import Store
from runar.web.security import Guard, is_loopback

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
TOKEN_BYTES: Final = 24
SHUTDOWN_GRACE_S: Final = 1  # open event streams never end by themselves
START_TIMEOUT_S: Final = 30.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a UsageError naming the address and the way out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it Nagle holds each reply's body behind its headers for a delayed ACK (~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another with --port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int, token: str | None) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown.strip('[]')}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _config(app: object, sock: socket.socket) -> object:
    import uvicorn

    host, port = sock.getsockname()[:2]
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        lifespan="on",
    )


def serve(
    store: Store,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    write: bool = False,
) -> None:
    """Serve the store until Ctrl-C; beyond loopback, only with a token."""
    import uvicorn

    from runar.web.app import create_app

    if not is_loopback(host.strip("[]")) and token is None:
        token = secrets.token_urlsafe(TOKEN_BYTES)  # never an open dashboard on the network
    guard = Guard.for_bind(host, token, allowed_hosts)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    url = url_for(host, port, token)
    print(f"runar: serving {store.root} at {url}  (Ctrl-C stops)", flush=True)
    if not is_loopback(host.strip("[]")):
        print(
            "runar: anyone who can reach this address and has the token sees every run",
            file=sys.stderr,
        )
    writes = None
    if write:
        from runar.web.write import WriteApi

        writes = WriteApi(store)
        print("runar: the write API is on; every write needs a 'runar token' of write scope")
    app = create_app(store, guard, writes=writes)
    server = uvicorn.Server(_config(app, sock))  # type: ignore[arg-type]
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run(sockets=[sock])


def _open_when_started(server: object, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not getattr(server, "started", False) and time.monotonic() < deadline:
        time.sleep(0.05)
    webbrowser.open(url)


@contextmanager
def serving_in_thread(app: object, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Run ``app`` on a real uvicorn in a thread; yields its base URL (tests, benchmarks)."""
    import uvicorn

    sock = bind(host, port)
    server = uvicorn.Server(_config(app, sock))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield url_for(host, sock.getsockname()[1], None).rstrip("/")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
