"""Copy what one store's ``runs/`` tree has and another lacks; never lose either side's bytes.

Rules, file by file (the derived ``index/`` folder is never copied):
    sealed segment   copied when missing; same name, other bytes → a conflict, kept aside
    plain segment    copied when missing or when the destination holds a strict prefix
                     (the file grew); skipped when a sealed twin exists at the destination
    other files      (artifacts…) copied when missing; other bytes → a conflict
    *.tmp, symlinks  never copied, never followed
Every copy goes to a temp file, is fsynced and checked against the source's sha256,
then renamed (or hard-linked, so a sealed file can never be overwritten) into place: an
interrupted sync leaves only ``*.tmp`` files, which readers and later syncs ignore.
A conflicting file is kept under ``.runar/conflicts/<run_id>/<name>.<sha256[:12]>``.
A run listed in either store's ``deleted/`` folder (a tombstone) is not copied.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final, Literal

from runar.errors import StoreError
from runar.ids import is_run_id
from runar.journal.segment import PLAIN_SUFFIX, TMP_SUFFIX, fsync_dir
from runar.store import STORE_DIRNAME, Store

CHUNK_BYTES: Final = 1 << 20
CONFLICTS_DIRNAME: Final = "conflicts"
DELETED_DIRNAME: Final = "deleted"
SYNC_TMP_MARK: Final = ".sync-"
HASH_CHARS: Final = 12
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)

Action = Literal["copy", "grow", "same", "behind", "conflict", "sealed-wins"]


@dataclass
class Conflict:
    """A file both stores have under one name with different bytes; ours stays, theirs aside."""

    path: str
    kept_as: str


@dataclass
class SyncReport:
    """What a sync copied, skipped and set aside."""

    source: str
    destination: str
    dry_run: bool = False
    runs_new: list[str] = field(default_factory=list)
    runs_deleted: list[str] = field(default_factory=list)
    files_copied: int = 0
    files_grown: int = 0
    files_same: int = 0
    bytes_copied: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    tombstones_copied: int = 0  # runs marked deleted that the destination learnt of

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def find_store_root(path: Path, must_exist: bool = True) -> Path:
    """The ``.runar`` folder ``path`` names or contains; StoreError when there is none."""
    path = Path(path).expanduser().absolute()
    if path.name == STORE_DIRNAME or (path / "runs").is_dir():
        root = path
    elif (path / STORE_DIRNAME).is_dir() or not must_exist:
        root = path / STORE_DIRNAME
    else:
        raise StoreError(f"{path} holds no runar store; give a .runar folder or its parent")
    if must_exist and not (root / "runs").is_dir():
        raise StoreError(f"{root} is not a runar store (no runs/ folder inside)")
    return root


def tombstones(root: Path) -> set[str]:
    """Run ids marked deleted in this store (``deleted/<run_id>`` files)."""
    return Store(root).tombstones()


def mark_deleted(root: Path, run_id: str) -> Path:
    """Write a tombstone so that sync never brings ``run_id`` back into this store."""
    folder = root / DELETED_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / run_id
    marker.touch()
    return marker


def is_tmp(name: str) -> bool:
    return name.endswith(TMP_SUFFIX)


def file_sha256(path: Path, limit: int | None = None) -> str:
    """sha256 of a file (its first ``limit`` bytes when given), read without following links."""
    digest = hashlib.sha256()
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        left = limit
        while left is None or left > 0:
            chunk = fh.read(CHUNK_BYTES if left is None else min(CHUNK_BYTES, left))
            if not chunk:
                break
            digest.update(chunk)
            if left is not None:
                left -= len(chunk)
    return digest.hexdigest()


def _walk(folder: Path, rel: str, refused: list[str]) -> Iterator[tuple[str, os.stat_result]]:
    """Regular files under ``folder`` as (relative path, stat); symlinks reported, not followed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_symlink():
            refused.append(f"{name}: a symlink (never followed)")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), name, refused)
        elif entry.is_file(follow_symlinks=False) and not is_tmp(entry.name):
            yield name, entry.stat(follow_symlinks=False)


def _real_dir(path: Path, stop: Path) -> bool:
    """True when every folder from ``stop`` down to ``path`` is a real folder or absent."""
    for folder in (path, *path.parents):
        if folder == stop:
            return True
        try:
            if stat.S_ISLNK(os.lstat(folder).st_mode):
                return False
        except FileNotFoundError:
            continue
    return False


def _prefix_of(short: Path, long: Path, short_size: int) -> bool:
    """True when ``short``'s bytes are the first ``short_size`` bytes of ``long``."""
    return file_sha256(short) == file_sha256(long, limit=short_size)


def classify(name: str, src: Path, src_size: int, dest: Path) -> Action:
    """What to do with one source file given what the destination holds."""
    if name.endswith(PLAIN_SUFFIX) and os.path.lexists(dest.with_name(dest.name + ".zst")):
        return "sealed-wins"
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return "copy"
    if not stat.S_ISREG(st.st_mode):
        return "conflict"
    if st.st_size == src_size and file_sha256(src) == file_sha256(dest):
        return "same"
    if name.endswith(PLAIN_SUFFIX):
        if st.st_size < src_size and _prefix_of(dest, src, st.st_size):
            return "grow"
        if st.st_size > src_size and _prefix_of(src, dest, src_size):
            return "behind"
    return "conflict"


def copy_verified(src: Path, dest: Path, overwrite: bool) -> int:
    """Copy via temp file + fsync + sha256 check + rename; returns bytes copied.

    Without ``overwrite`` the file is published with ``link()``, which fails rather
    than replace a file that appeared meanwhile (FileExistsError).
    """
    tmp = dest.with_name(f"{dest.name}{SYNC_TMP_MARK}{os.getpid()}{TMP_SUFFIX}")
    digest = hashlib.sha256()
    size = 0
    src_fd = os.open(src, _READ_FLAGS)
    out_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
    try:
        with os.fdopen(src_fd, "rb") as fh, os.fdopen(out_fd, "wb") as out:
            while chunk := fh.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())  # before rename: a crash must never publish a short file
        if os.path.getsize(tmp) != size or file_sha256(tmp) != digest.hexdigest():
            raise OSError(errno.EIO, "the copy does not match its source", str(src))
        _publish(tmp, dest, overwrite)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    fsync_dir(dest.parent)
    return size


def _publish(tmp: Path, dest: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(dest):  # no hard links here (some FUSE/SMB mounts)
            raise FileExistsError(errno.EEXIST, "appeared during the copy", str(dest)) from None
        os.replace(tmp, dest)


class _Sync:
    def __init__(self, src_root: Path, dest_root: Path, dry_run: bool) -> None:
        self.src_root, self.dest_root, self.dry_run = src_root, dest_root, dry_run
        self.report = SyncReport(str(src_root), str(dest_root), dry_run)

    def run(self) -> SyncReport:
        deleted = tombstones(self.src_root) | tombstones(self.dest_root)
        self._copy_tombstones()
        src_runs = self.src_root / "runs"
        with os.scandir(src_runs) as entries:
            runs = sorted(entries, key=lambda e: e.name)
        for entry in runs:
            if not is_run_id(entry.name):
                continue
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                self.report.refused.append(f"runs/{entry.name}: not a real folder")
            elif entry.name in deleted:
                self.report.runs_deleted.append(entry.name)
            else:
                self._sync_run(entry.name)
        return self.report

    def _copy_tombstones(self) -> None:
        theirs = tombstones(self.src_root) - tombstones(self.dest_root)
        self.report.tombstones_copied = len(theirs)
        if theirs and not self.dry_run:
            for run_id in sorted(theirs):
                mark_deleted(self.dest_root, run_id)

    def _sync_run(self, run_id: str) -> None:
        src_dir = self.src_root / "runs" / run_id
        dest_dir = self.dest_root / "runs" / run_id
        if not _real_dir(dest_dir, self.dest_root):
            self.report.refused.append(f"runs/{run_id}: a symlink at the destination")
            return
        if not os.path.lexists(dest_dir):
            self.report.runs_new.append(run_id)
        refused: list[str] = []
        for rel, st in _walk(src_dir, "", refused):
            self._sync_file(run_id, rel, st.st_size)
        self.report.refused += [f"runs/{run_id}/{r}" for r in refused]

    def _sync_file(self, run_id: str, rel: str, size: int) -> None:
        src = self.src_root / "runs" / run_id / rel
        dest = self.dest_root / "runs" / run_id / rel
        shown = f"runs/{run_id}/{rel}"
        if not _real_dir(dest.parent, self.dest_root):
            self.report.refused.append(f"{shown}: a symlinked folder at the destination")
            return
        if rel.endswith(PLAIN_SUFFIX) and os.path.lexists(src.with_name(src.name + ".zst")):
            return  # the source's sealed twin carries the same events and is copied instead
        action = classify(dest.name, src, size, dest)
        if action in ("same", "behind", "sealed-wins"):
            self.report.files_same += 1
            return
        if action == "conflict":
            self._keep_aside(run_id, rel, src)
            return
        if self.dry_run:
            copied = size
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                copied = copy_verified(src, dest, overwrite=action == "grow")
            except FileExistsError:
                self._keep_aside(run_id, rel, src)
                return
        self.report.bytes_copied += copied
        if action == "grow":
            self.report.files_grown += 1
        else:
            self.report.files_copied += 1

    def _keep_aside(self, run_id: str, rel: str, src: Path) -> None:
        digest = file_sha256(src)[:HASH_CHARS]
        aside = self.dest_root / CONFLICTS_DIRNAME / run_id / f"{rel}.{digest}"
        kept = str(aside.relative_to(self.dest_root))
        self.report.conflicts.append(Conflict(f"runs/{run_id}/{rel}", kept))
        if self.dry_run or os.path.lexists(aside):
            return  # the same bytes were set aside by an earlier sync
        if not _real_dir(aside.parent, self.dest_root):
            self.report.refused.append(f"{kept}: a symlinked folder at the destination")
            return
        aside.parent.mkdir(parents=True, exist_ok=True)
        copy_verified(src, aside, overwrite=False)


def sync(source: Path, destination: Path, dry_run: bool = False) -> SyncReport:
    """Copy into ``destination`` every run, segment and artifact of ``source`` it lacks."""
    src_root = find_store_root(source)
    dest_root = find_store_root(destination, must_exist=False)
    real_src, real_dest = Path(os.path.realpath(src_root)), Path(os.path.realpath(dest_root))
    if real_src == real_dest:
        raise StoreError(f"{src_root} is both source and destination; give two stores")
    if real_src in real_dest.parents or real_dest in real_src.parents:
        # a store inside the other would copy into itself, or show up as a bogus run folder
        raise StoreError(f"{dest_root} and {src_root} are nested; give two separate stores")
    if not dry_run:
        try:
            (dest_root / "runs").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {dest_root / 'runs'}: {exc.strerror}") from exc
    return _Sync(src_root, dest_root, dry_run).run()


__all__ = [
    "Conflict",
    "SyncReport",
    "copy_verified",
    "find_store_root",
    "mark_deleted",
    "sync",
    "tombstones",
]
