"""A run's exact code, brought back into a folder from the store (`runar checkout`, `rerun`).

The code comes from ``runs/<id>/code/`` (runner/code_snapshot.py): in git, the snapshot
tree is rebuilt as objects (no ref) and written out through a temporary index with
``--work-tree`` pointing at the new folder, so the user's working tree, index, HEAD,
branches and stash stay exactly as they were. ``checkout-index`` rather than ``git
archive``: archive honours ``export-ignore`` and ``export-subst`` and would not give back
the tree the run saw. Outside git, the kept ``files/`` are copied.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from runar.errors import RunarError
from runar.events import RunStarted
from runar.ids import short
from runar.runner import code_snapshot
from runar.store import Store

CACHE_DIRNAME: Final = "cache"
CHECKOUTS_DIRNAME: Final = "checkouts"


class CodeUnavailable(RunarError):
    """The run's code cannot be brought back; the message says what is missing."""


@dataclass(frozen=True)
class CodeRecord:
    """What the store kept of a run's code (its ``meta.json``) and where it was recorded."""

    run_id: str
    code_dir: Path
    kind: Literal["git", "files"]
    origin: str  # the repository root (git) or the script's folder (files), as recorded
    meta: dict[str, object]


def cached_checkout(store: Store, run_id: str) -> Path:
    """Where `runar rerun` keeps the run's checkout (reused by later reruns)."""
    return store.root / CACHE_DIRNAME / CHECKOUTS_DIRNAME / run_id


def code_record(store: Store, run_id: str, started: RunStarted | None) -> CodeRecord:
    """The run's kept code; CodeUnavailable when the run has none."""
    code_dir = store.code_dir(run_id)
    try:
        meta = json.loads((code_dir / code_snapshot.META_NAME).read_bytes())
    except (OSError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("kind") not in ("git", "files"):
        raise CodeUnavailable(
            f"run {short(run_id)} has no code snapshot (recorded by an older runar or by the "
            "SDK without the runner); only runs of 'runar SCRIPT' can be checked out"
        )
    if meta["kind"] == "git":
        git = started.git if started is not None else None
        origin = (git.root if git is not None else None) or ""
    else:
        origin = str(meta.get("folder") or "")
    return CodeRecord(run_id, code_dir, meta["kind"], origin, meta)


def _git(repo: str, *args: str, env: dict[str, str] | None = None) -> bool:
    return code_snapshot.git_bytes(repo, *args, env=env) is not None


def _is_repository(folder: str) -> bool:
    return bool(folder) and os.path.isdir(folder) and _git(folder, "rev-parse", "--git-dir")


def _write_git_tree(record: CodeRecord, dest: Path, scratch: str) -> None:
    """Rebuild the snapshot tree (in the user's repository, else a scratch one) into ``dest``."""
    commit = record.meta.get("commit")
    snapshot = record.meta.get("snapshot")
    commit = commit if isinstance(commit, str) else None
    snapshot = snapshot if isinstance(snapshot, str) else None
    repo = record.origin
    if not _is_repository(repo):
        # the repository is gone or elsewhere: the bundle and patch alone can rebuild it
        repo = os.path.join(scratch, "repo.git")
        if not _git(scratch, "init", "-q", "--bare", repo):
            raise CodeUnavailable("git is needed to check out this run; install git and retry")
    tree = code_snapshot.restore_tree(repo, record.code_dir, commit, snapshot)
    if tree is None:
        remote = record.meta.get("remote")
        where = f"was pushed to {remote}: fetch it" if remote else "is on no remote: restore it"
        place = record.origin or "this machine"
        raise CodeUnavailable(
            f"run {short(record.run_id)} needs commit {(commit or '?')[:12]}, which is not in "
            f"{place} and {where} and retry"
        )
    env = {**os.environ, "GIT_INDEX_FILE": os.path.join(scratch, "index")}
    work_tree = f"--work-tree={dest.absolute()}"
    for step in (["read-tree", tree], [work_tree, "checkout-index", "-a", "-f"]):
        if not _git(repo, *step, env=env):
            raise CodeUnavailable(
                f"git could not write run {short(record.run_id)}'s code to {dest}"
            )


def _write_files(record: CodeRecord, dest: Path) -> None:
    files = record.code_dir / code_snapshot.FILES_DIRNAME
    if not files.is_dir():
        raise CodeUnavailable(f"run {short(record.run_id)} kept no files of its code")
    for path in sorted(p for p in files.rglob("*") if p.is_file()):
        target = dest / path.relative_to(files)  # config/small.py stays under config/
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)  # a fresh, writable copy, not the read-only one


def write_code(record: CodeRecord, dest: Path) -> None:
    """Materialise the run's code into ``dest``, which must be new or empty."""
    if dest.exists() and not dest.is_dir():
        raise CodeUnavailable(f"{dest} is a file; name a new folder for the checkout")
    if dest.exists() and any(dest.iterdir()):
        raise CodeUnavailable(f"{dest} is not empty; name a new folder for the checkout")
    created = not dest.exists()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only place, a path through a file, /proc…
        raise CodeUnavailable(
            f"cannot create {dest} ({exc.strerror or exc}); name another folder for the checkout"
        ) from None
    try:
        with tempfile.TemporaryDirectory(prefix="runar-checkout-") as scratch:
            if record.kind == "git":
                _write_git_tree(record, dest, scratch)
            else:
                _write_files(record, dest)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise


def ensure_cached(store: Store, record: CodeRecord) -> Path:
    """The run's checkout in the store's cache, written once and then reused."""
    folder = cached_checkout(store, record.run_id)
    if folder.is_dir():
        return folder
    # built aside and renamed: an interrupted checkout is never mistaken for a finished one
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    write_code(record, partial)
    try:
        os.replace(partial, folder)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another rerun finished first: use its copy
        if not folder.is_dir():
            raise
    return folder


def keep_code_of(source: Path, dest: Path) -> list[str]:
    """A rerun's code is its original's: share the read-only files (a copy where links fail)."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if not source.is_dir():
        return []
    try:
        shutil.copytree(source, dest, copy_function=link, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        return [f"runar: the code snapshot in {dest} is incomplete: {exc}"]
    return []
