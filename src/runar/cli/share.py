"""`runar sync` and `runar doctor`: share a store by copying it, and check that it is sound."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runar.cli import render
from runar.cli.access import current_store

if TYPE_CHECKING:
    from runar.doctor import DoctorReport
    from runar.journal.sync import SyncReport


def sync(
    source: Annotated[
        str, typer.Argument(help="The store to copy from (.runar or its parent, or s3://…).")
    ],
    destination: Annotated[
        str, typer.Argument(help="The store to copy into; created when missing (or s3://…).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be copied; copy nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy the runs SOURCE has and DESTINATION lacks; never overwrite, never delete."""
    from runar.journal.sync import sync as run_sync
    from runar.remote.url import is_remote_url, local_path_of

    if is_remote_url(source) or is_remote_url(destination):
        from runar.cli.remote import sync_remote

        sync_remote(source, destination, as_json, dry_run)  # a push or a pull (docs/sharing.md)
        return
    report = run_sync(Path(local_path_of(source)), Path(local_path_of(destination)), dry_run)
    if as_json:
        render.print_json(report.to_dict())
        return
    print(describe_sync(report))


def describe_sync(report: SyncReport, pushed: bool = False) -> str:
    """The sync report as a few lines of text; ``pushed``: the destination is a bucket."""
    verb = "would copy" if report.dry_run else "copied"
    lines = [
        f"{verb} {report.files_copied} file(s), grew {report.files_grown}, "
        f"{_bytes(report.bytes_copied)}; {len(report.runs_new)} new run(s), "
        f"{report.files_same} file(s) already there"
    ]
    if report.tombstones_copied:
        lines.append(f"{verb} {report.tombstones_copied} deletion(s) (tombstones)")
    if report.runs_deleted:
        lines.append(f"skipped {len(report.runs_deleted)} run(s) marked deleted")
    # in a push the copy set aside is ours, in the bucket; in a pull or sync it is theirs, here
    kept = "the bucket's stays, ours kept there as" if pushed else "theirs kept as"
    for conflict in report.conflicts:
        lines.append(f"conflict: {conflict.path} differs; {kept} {conflict.kept_as}")
    for refused in report.refused:
        lines.append(f"not copied: {refused}")
    return "\n".join(lines)


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def doctor(
    fix: Annotated[
        bool, typer.Option("--fix", help="Repair what can be repaired without losing an event.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote", help="Check a remote instead: every object's checksum, conflicts, orphans."
        ),
    ] = None,
) -> None:
    """Check the store: runs, segments, damaged records, stale index, orphaned files, crashes."""
    from runar import doctor as checks

    if remote is not None:
        from runar.cli.remote import doctor_remote

        doctor_remote(remote, as_json)  # docs/sharing.md
        return
    store = current_store()
    report = checks.fix(store) if fix else checks.check(store)
    if as_json:
        render.print_json(report.to_dict())
    else:
        print(describe_doctor(report))
    if not report.healthy and not fix:
        raise typer.Exit(1)


def describe_doctor(report: DoctorReport) -> str:
    """The doctor report as text: one line per finding."""
    lines = [
        f"store {report.store}: {report.runs} run(s), {report.events} event(s), "
        f"{report.segments_active} active and {report.segments_sealed} sealed segment(s)"
    ]
    lines += [f"damaged: {n} record(s) skipped in run {r}" for r, n in report.damaged.items()]
    lines += [f"crashed: run {r} has no finish and its writers are gone" for r in report.crashed]
    for orphan in report.orphans:
        hint = " (doctor --fix removes or seals it)" if orphan.fixable else ""
        lines.append(f"orphan: {orphan.path} [{orphan.kind}]{hint}")
    if report.index_stale:
        lines.append(f"index: out of date ({report.index_note}); doctor --fix catches it up")
    lines += [f"fixed: {done}" for done in report.fixed]
    if report.healthy:
        lines.append("ok: every event is readable and the index is current")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `sync` and `doctor` to the runar command group."""
    app.command("sync")(sync)
    app.command("doctor")(doctor)
