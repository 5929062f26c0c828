"""`runar serve`: the web dashboard and its REST API over this store's runs."""

from __future__ import annotations

from typing import Annotated

import typer

from runar.cli.access import current_store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; beyond loopback a token is needed.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free one).")] = (
        DEFAULT_PORT
    ),
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the dashboard in a browser.")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Require this token (generated when --host is not loopback)."),
    ] = None,
    allowed_hosts: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-hosts",
            help="Host names the browser may use besides 127.0.0.1/localhost (repeat or "
            "comma-separate; '*' allows any).",
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Also accept writes (POST /api/runs…) from clients holding a write token "
            "('runar token create'); see docs/api.md.",
        ),
    ] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote", help="Serve a remote's runs (pulled into .runar/cache/remotes/NAME first)."
        ),
    ] = None,
) -> None:
    """Serve a live web dashboard and a read-only REST API of the runs (see docs/api.md)."""
    from runar.web.serve import serve as run_server

    if remote is not None:
        from runar.cli.remote import use_remote_cache

        if write:  # writes would land in the read cache: never pushed, and its tokens are none
            from runar.errors import UsageError

            raise UsageError("--write records into this store, --remote serves a copy; use one")
        use_remote_cache(remote, keep_pulling=True)  # pulled again every few seconds

    hosts = [h.strip() for item in allowed_hosts or [] for h in item.split(",") if h.strip()]
    run_server(current_store(), host, port, open_browser, token or None, hosts, write)
