"""`runar token create|ls|revoke`: the tokens the HTTP API accepts (see docs/api.md).

A token's secret is printed once, at creation; the store keeps only its sha256.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from runar.cli.access import current_store

app = typer.Typer(
    help="Create, list and revoke the API tokens of this store ('runar serve --write').",
    no_args_is_help=True,
    add_completion=False,
)


def _when(ns: int) -> str:
    from runar.display import iso

    return iso(ns) or ""


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. ci.")],
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            help="read (the read API), write (any run) or write:PROJECT (that project's runs).",
        ),
    ] = "write",
    as_json: Annotated[bool, typer.Option("--json", help="Print name, scope and token.")] = False,
) -> None:
    """Create a token and print it once; only its hash is kept."""
    from runar.web.tokens import TokenBook

    store = current_store()
    store.create()
    token, secret = TokenBook(store).create(name, scope)
    if as_json:
        print(json.dumps({"name": token.name, "scope": token.scope, "token": secret}))
        return
    print(secret)
    typer.echo(
        f"runar: token '{token.name}' ({token.scope}) created; it is shown only this once",
        err=True,
    )


@app.command("ls")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per token.")] = False,
) -> None:
    """List the tokens: name, scope and creation time (never the token)."""
    from runar.web.tokens import TokenBook

    tokens = TokenBook(current_store()).tokens()
    records = [{"name": t.name, "scope": t.scope, "created": _when(t.created_ns)} for t in tokens]
    if as_json:
        print(json.dumps(records))
        return
    if not records:
        typer.echo("no tokens yet — create one with: runar token create --name ci", err=True)
        return
    width = max(len("NAME"), *(len(r["name"]) for r in records))
    scope_width = max(len("SCOPE"), *(len(r["scope"]) for r in records))
    print(f"{'NAME'.ljust(width)}  {'SCOPE'.ljust(scope_width)}  CREATED")
    for r in records:
        print(f"{r['name'].ljust(width)}  {r['scope'].ljust(scope_width)}  {r['created']}")


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The token's name (see 'runar token ls').")],
) -> None:
    """Revoke a token: a running server refuses it from its next request."""
    from runar.web.tokens import TokenBook

    token = TokenBook(current_store()).revoke(name)
    typer.echo(f"runar: token '{token.name}' ({token.scope}) revoked", err=True)
