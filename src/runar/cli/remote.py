"""`runar remote add/ls/rm`, `runar push`, `runar pull`: share runs through an S3 bucket."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Final

import typer

from runar.cli import render
from runar.cli.access import current_store

if TYPE_CHECKING:
    from runar.remote.report import RemoteReport
    from runar.store import Store

app = typer.Typer(
    help="Name the S3-compatible buckets this store shares runs through (see docs/sharing.md).",
    no_args_is_help=True,
    add_completion=False,
)

MAX_ORPHANS_SHOWN: Final = 50
REMOTE_ARG = typer.Argument(
    help="A remote name or s3:// URL; default: $RUNAR_REMOTE, 'origin' or the only remote."
)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. origin.")],
    url: Annotated[str, typer.Argument(help="s3://BUCKET/PREFIX (endpoint: AWS_ENDPOINT_URL).")],
) -> None:
    """Name a remote in this store's config (.runar/config.json); never stores credentials."""
    from runar.remote.config import add_remote

    store = current_store()
    add_remote(store, name, url)
    print(f"remote {name} → {url}")


@app.command("ls")
def list_remotes(
    as_json: Annotated[bool, typer.Option("--json", help="Print the remotes as JSON.")] = False,
) -> None:
    """List the remotes of this store."""
    from runar.remote.config import remotes

    found = remotes(current_store())
    if as_json:
        render.print_json([{"name": k, "url": v} for k, v in sorted(found.items())])
        return
    if not found:
        print("no remotes; add one with: runar remote add origin s3://BUCKET/PREFIX")
    for name, url in sorted(found.items()):
        print(f"{name}\t{url}")


@app.command("rm")
def remove(name: Annotated[str, typer.Argument(help="The remote to forget.")]) -> None:
    """Forget a remote; nothing in its bucket is touched."""
    from runar.remote.config import remove_remote

    url = remove_remote(current_store(), name)
    print(f"removed remote {name} ({url}); its bucket is untouched")


def push(
    remote: Annotated[str | None, REMOTE_ARG] = None,
    everywhere: Annotated[
        bool,
        typer.Option(
            "--everywhere",
            help="Also delete from the bucket the objects of runs this store has tombstoned "
            "('runar rm --everywhere'); the only deletion a push makes.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    follow: Annotated[
        str | None,
        typer.Option(
            "--follow",
            help="Keep uploading this run id as it is written, until Ctrl-C or SIGTERM "
            "(the other nodes of a multi-node job; see docs/sharing.md).",
        ),
    ] = None,
) -> None:
    """Upload the runs, artifacts and code the remote lacks; never overwrite anything there."""
    from runar.remote.bucket import open_bucket
    from runar.remote.config import resolve_remote
    from runar.remote.push import push as run_push

    store = current_store() if follow else _existing_store()
    name, url = resolve_remote(store, remote)
    if follow is not None:
        from runar.errors import UsageError
        from runar.ids import is_run_id
        from runar.remote.live import follow_run

        if not is_run_id(follow):
            raise UsageError(f"--follow takes a full run id (16 characters), not {follow!r}")
        follow_run(store, follow, name, url, lambda line: print(line, file=sys.stderr))
        return
    _show(run_push(store, open_bucket(url), everywhere=everywhere), as_json, pushed=True)


def pull(
    remote: Annotated[str | None, REMOTE_ARG] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Download the runs the remote has and this store lacks; never overwrite anything here."""
    from runar.remote.bucket import open_bucket
    from runar.remote.config import resolve_remote
    from runar.remote.pull import pull as run_pull

    store = current_store()
    _, url = resolve_remote(store, remote)
    _show(run_pull(store, open_bucket(url)), as_json)


def sync_remote(source: str, destination: str, as_json: bool, dry_run: bool = False) -> None:
    """`runar sync` where one side is an s3:// URL: a push or a pull."""
    if dry_run:
        from runar.errors import UsageError

        raise UsageError(
            "--dry-run is for folders; with a remote, 'runar doctor --remote' lists it"
        )
    from runar.journal.sync import find_store_root
    from runar.remote.bucket import open_bucket
    from runar.remote.pull import pull as run_pull
    from runar.remote.push import push as run_push
    from runar.remote.url import is_remote_url, local_path_of
    from runar.store import Store

    if is_remote_url(source) and is_remote_url(destination):
        from runar.errors import UsageError

        raise UsageError("give one local store and one remote; bucket-to-bucket is not a sync")
    if is_remote_url(destination):
        from pathlib import Path

        store = Store(find_store_root(Path(local_path_of(source))))
        _show(run_push(store, open_bucket(destination)), as_json, pushed=True)
    else:
        from pathlib import Path

        root = find_store_root(Path(local_path_of(destination)), must_exist=False)
        _show(run_pull(Store(root), open_bucket(source)), as_json)


def use_remote_cache(remote: str, keep_pulling: bool = False) -> None:
    """Point this command at the remote's local cache store, caught up first (ls/serve).

    With ``keep_pulling`` (serve), a background thread pulls again every few seconds, so
    the dashboard follows teammates' running runs as it follows local ones.
    """
    from runar.remote.cache import cached_store, keep_pulling_into
    from runar.store import ENV_STORE

    store = current_store()
    cache, report = cached_store(store, remote)
    if report.runs_new:
        print(f"pulled {len(report.runs_new)} new run(s) from {remote}", file=sys.stderr)
    os.environ[ENV_STORE] = str(cache.root)  # this process only: the command then reads the cache
    if keep_pulling:
        keep_pulling_into(store, remote, lambda line: print(line, file=sys.stderr))


def _existing_store() -> Store:
    from runar.errors import StoreError

    store = current_store()
    if not store.exists:
        raise StoreError(f"no runar store at {store.root}; nothing to push")
    return store


def _show(report: RemoteReport, as_json: bool, pushed: bool = False) -> None:
    from runar.cli.share import describe_sync

    if as_json:
        render.print_json(report.to_dict())
        return
    print(describe_sync(report, pushed))
    if report.objects_deleted:
        print(f"deleted {report.objects_deleted} object(s) of tombstoned runs from the remote")
    for failed in report.failed:
        print(f"failed: {failed}")


def register(root: typer.Typer) -> None:
    """Add `remote`, `push` and `pull` to the runar command group."""
    root.add_typer(app, name="remote")
    root.command("push")(push)
    root.command("pull")(pull)


def doctor_remote(remote: str, as_json: bool) -> None:
    """`runar doctor --remote NAME`: read every object back; exit 1 when something is wrong."""
    from runar.remote.bucket import open_bucket
    from runar.remote.config import resolve_remote
    from runar.remote.verify import verify

    _, url = resolve_remote(current_store(), remote)
    check = verify(open_bucket(url))
    if as_json:
        render.print_json(check.to_dict())
    else:
        print(
            f"remote {check.remote}: {check.objects} object(s), {check.runs} run(s), "
            f"{check.segments} sealed segment(s), {check.events} event(s)"
        )
        for key, why in sorted(check.damaged.items()):
            print(f"damaged: {key}: {why}")
        for key in check.conflicts:
            print(f"conflict: {key} (a push that differed; compare it with the original)")
        orphans = sorted(check.orphans.items())
        for key, why in orphans[:MAX_ORPHANS_SHOWN]:
            print(f"orphan: {key!r}: {why}")
        if len(orphans) > MAX_ORPHANS_SHOWN:  # a junk bucket stays readable; --json has all
            print(f"… and {len(orphans) - MAX_ORPHANS_SHOWN} more orphan(s); --json lists all")
        if check.healthy:
            print("ok: every object reads back intact")
    if not check.healthy:
        raise typer.Exit(1)
