"""Bucket → store: one listing, GETs only for what is missing, each written atomically.

Every key is validated (layout.classify_key) before it names a local path, every
folder on the way must be a real folder inside the store, every object is streamed to
``<name>.pull-<pid>.tmp``, fsynced and only then published: with ``link()`` for
immutable files (so nothing already there is replaced) and ``replace()`` for an open
segment that grew. A pull killed at any instant leaves at most ``*.tmp`` files, which
readers ignore and ``runar doctor --fix`` removes. A file present on both sides with
other bytes stays ours; theirs is kept under ``.runar/conflicts/`` as the folder sync does.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from runar.journal.segment import fsync_dir
from runar.journal.sync import Conflict, mark_deleted
from runar.remote.artifacts import (
    blob_key,
    file_sha256,
    recorded_artifacts,
    safe_artifact_path,
)
from runar.remote.bucket import Bucket, ObjectInfo, ObjectMissing, TooBig
from runar.remote.layout import RemoteKey, classify_key, sealed_key_of_live
from runar.remote.push import run_all
from runar.remote.report import RemoteReport
from runar.remote.state import SyncState
from runar.store import Store

PULL_WORKERS: Final = 16
HASH_CHARS: Final = 12
_counter = itertools.count()


class UnsafePath(Exception):
    """A destination folder that is a symlink or not a folder."""


def real_parent(root: Path, dest: Path) -> None:
    """Create ``dest``'s folders inside ``root``; UnsafePath if one is a symlink or a file."""
    rel = dest.parent.relative_to(root)
    folder = root
    for part in rel.parts:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            try:
                folder.mkdir()
            except FileExistsError:
                mode = os.lstat(folder).st_mode
            else:
                continue
        if not stat.S_ISDIR(mode):
            raise UnsafePath(str(folder))


class Puller:
    """One pull into one store."""

    def __init__(self, store: Store, bucket: Bucket) -> None:
        self.store, self.bucket, self.root = store, bucket, store.root
        self.state = SyncState.load(store, str(bucket.url))
        self.report = RemoteReport(str(bucket.url), str(store.root))
        self.touched: set[Path] = set()  # folders whose new entries are fsynced at the end
        self.blobs: dict[str, ObjectInfo] = {}  # sha256 → the blob holding that content
        self.segments: dict[str, list[ObjectInfo]] = {}  # run id → its log objects
        self.placed: dict[str, tuple[int, str]] = {}  # run id → log marker, artifacts all here

    def _tmp(self, dest: Path) -> Path:
        return dest.with_name(f"{dest.name}.pull-{os.getpid()}-{next(_counter)}.tmp")

    def _fetch_or_refuse(
        self, rk: RemoteKey, dest: Path, too_big: str = "larger than listed or allowed"
    ) -> tuple[Path, int] | None:
        """_fetch(), with what is gone or refused reported (refusals) and answered by None."""
        try:
            return self._fetch(rk, dest)
        except ObjectMissing:
            return None
        except TooBig:
            self.report.refuse(f"{rk.key}: {too_big} (not copied)")
        except UnsafePath as exc:
            self.report.refuse(f"{rk.key}: {exc} is a symlink or a file here (not followed)")
        return None

    def _fetch(self, rk: RemoteKey, dest: Path) -> tuple[Path, int]:
        """Stream the object to a fsynced temp file beside ``dest``; (tmp, size)."""
        real_parent(self.root, dest)
        tmp = self._tmp(dest)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "wb") as out:
                size = self.bucket.download(rk.key, out, rk.max_bytes)
                out.flush()
                os.fsync(out.fileno())  # before publishing: a crash never shows a short file
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, size

    def pull_file(self, rk: RemoteKey, info: ObjectInfo) -> None:
        """A sealed segment, artifact or code file: fetched when missing, compared otherwise."""
        dest = self.root / rk.local
        try:
            st = os.lstat(dest)
        except FileNotFoundError:
            st = None
        if st is not None:
            aside = self.state.known.get(f"conflict:{rk.key}")
            if aside is not None and aside[:2] + aside[3:] == [info.size, info.etag, st.st_size]:
                self.report.conflicts.append(Conflict(rk.key, str(aside[2])))
                return  # kept aside by an earlier pull: no GET for it again
            if stat.S_ISREG(st.st_mode) and st.st_size == info.size:
                if self.state.same(rk.key, info.size, info.etag):
                    self.report.files_same += 1
                    return
            elif not stat.S_ISREG(st.st_mode):
                self.report.refuse(f"{rk.local}: not a regular file here")
                return
        fetched = self._fetch_or_refuse(rk, dest)
        if fetched is None:
            return  # deleted since the listing, or refused
        tmp, size = fetched
        try:
            if st is None:
                try:
                    os.link(tmp, dest)  # never replaces a file that appeared meanwhile
                except FileExistsError:
                    st = os.lstat(dest)
            if st is not None:
                if file_sha256(tmp) == file_sha256(dest):
                    self.report.files_same += 1
                else:
                    kept = self.keep_aside(rk, tmp)
                    memo = [info.size, info.etag, kept, os.lstat(dest).st_size]
                    self.state.remember(f"conflict:{rk.key}", memo)
                    return
            else:
                self.report.files_copied += 1
                self.report.bytes_copied += size
                if rk.kind == "sealed":
                    self._drop_pulled_tail(rk, dest)
            self.state.record(rk.key, info.size, info.etag)
        finally:
            tmp.unlink(missing_ok=True)
        self.touched.add(dest.parent)

    def _drop_pulled_tail(self, rk: RemoteKey, sealed: Path) -> None:
        """Remove the plain copy a pull made of the live tail, now that the sealed one is here."""
        plain = sealed.with_name(sealed.name[: -len(".zst")])
        live_key = rk.key.rsplit("/", 1)[0] + "/live/" + plain.name
        entry = self.state.known.get(live_key)
        try:
            if entry is not None and plain.stat().st_size == entry[0]:
                plain.unlink()  # only a tail we pulled; a local writer's file is never touched
                self.state.forget(live_key)
        except OSError:
            pass

    def pull_live(self, rk: RemoteKey, info: ObjectInfo) -> None:
        """An open segment's tail: written when longer than ours and ours is its prefix."""
        dest = self.root / rk.local
        if os.path.lexists(dest.with_name(dest.name + ".zst")):
            self.report.live_skipped += 1
            return
        try:
            ours = dest.stat().st_size if os.path.lexists(dest) else -1
        except OSError:
            ours = -1
        if ours >= info.size:
            self.report.files_same += 1
            return
        fetched = self._fetch_or_refuse(rk, dest)
        if fetched is None:
            return  # sealed and dropped since the listing, or refused
        tmp, size = fetched
        try:
            with open(tmp, "r+b") as fh:
                data = fh.read()
                whole = data.rfind(b"\n") + 1
                fh.truncate(whole)
                os.fsync(fh.fileno())
            if ours > 0 and not data.startswith(dest.read_bytes()[:ours]):
                self.keep_aside(rk, tmp)
                return
            os.replace(tmp, dest)  # an open segment grows: the longer copy replaces ours
            self.state.record(rk.key, whole, info.etag)
            self.report.files_grown += 1
            self.report.bytes_copied += size
        finally:
            tmp.unlink(missing_ok=True)
        self.touched.add(dest.parent)

    def artifact_tasks(self) -> list[Callable[[], None]]:
        """Blobs to place where each run's log says its artifacts go (after the log is here)."""
        tasks: list[Callable[[], None]] = []
        if not self.blobs:
            return tasks
        for run_id, infos in self.segments.items():
            marker: tuple[int, str] = (len(infos), str(sum(i.size for i in infos)))
            if self.state.known.get(f"artifacts:{run_id}") == list(marker):
                continue  # its log has not changed since every artifact was placed
            complete = True
            run_dir = self.store.run_dir(run_id)
            for path, (sha, size) in recorded_artifacts(run_dir).items():
                dest = run_dir / "artifacts" / path
                if not safe_artifact_path(path):
                    self.report.refuse(f"runs/{run_id}: artifact path {path!r} (not placed)")
                elif os.path.lexists(dest):
                    continue
                elif sha in self.blobs:
                    tasks.append(lambda r=run_id, h=sha, n=size, d=dest: self.pull_blob(r, h, n, d))
                else:
                    complete = False  # not pushed yet, or kept under its run's key
            if complete:
                self.placed[run_id] = marker
        return tasks

    def pull_blob(self, run_id: str, sha: str, size: int, dest: Path) -> None:
        """One artifact from its content-addressed blob, checked against its name."""
        key = blob_key(sha)
        rk = RemoteKey(key, "blob", run_id, str(dest.relative_to(self.root)), size)
        fetched = self._fetch_or_refuse(rk, dest, f"larger than the {size} bytes its run recorded")
        if fetched is None:
            return
        tmp, got = fetched
        try:
            if file_sha256(tmp) != sha:
                self.report.refuse(f"{key}: its bytes do not hash to its name (not placed)")
                return
            try:
                os.link(tmp, dest)
            except FileExistsError:
                self.report.files_same += 1
                return
            self.report.files_copied += 1
            self.report.bytes_copied += got
        finally:
            tmp.unlink(missing_ok=True)
        self.touched.add(dest.parent)

    def keep_aside(self, rk: RemoteKey, tmp: Path) -> str:
        """Theirs differs from ours: ours stays, theirs goes to conflicts/<run>/<name>.<sha>."""
        rest = rk.key.split("/", 2)[2]
        digest = file_sha256(tmp)[:HASH_CHARS]
        aside = self.root / "conflicts" / rk.run_id / f"{rest}.{digest}"
        kept = str(aside.relative_to(self.root))
        self.report.conflicts.append(Conflict(rk.key, kept))
        if not os.path.lexists(aside):
            with contextlib.suppress(UnsafePath, FileExistsError):
                real_parent(self.root, aside)
                os.link(tmp, aside)
        return kept

    def plan(self, listing: list[ObjectInfo]) -> list[Callable[[], None]]:
        """The downloads a listing calls for; junk keys are refused, tombstones honoured."""
        keys: list[tuple[RemoteKey, ObjectInfo]] = []
        for info in listing:
            rk = classify_key(info.key)
            if rk is None:
                self.report.refuse(f"{info.key!r}: not a runar key (ignored)")
            elif info.size > rk.max_bytes:
                self.report.refuse(f"{info.key}: {info.size} bytes, over the limit for its kind")
            elif rk.kind == "blob":
                self.blobs[rk.key.split("/", 1)[1]] = info
            elif rk.kind != "conflict":
                keys.append((rk, info))
        remote_deleted = {rk.run_id for rk, _ in keys if rk.kind == "tombstone"}
        local_deleted = self.store.tombstones()
        for run_id in sorted(remote_deleted - local_deleted):
            mark_deleted(self.root, run_id)
            self.report.tombstones_copied += 1
        deleted = remote_deleted | local_deleted
        sealed = {info.key for rk, info in keys if rk.kind == "sealed"}
        seen: set[str] = set()
        tasks: list[Callable[[], None]] = []
        for rk, info in keys:
            if rk.kind == "tombstone":
                continue
            if rk.run_id in deleted:
                if rk.run_id not in seen:
                    self.report.runs_deleted.append(rk.run_id)
            elif rk.kind == "live":
                self.segments.setdefault(rk.run_id, []).append(info)
                if sealed_key_of_live(rk.key) in sealed:
                    self.report.live_skipped += 1
                else:
                    tasks.append(lambda r=rk, i=info: self.pull_live(r, i))
            else:
                if rk.kind == "sealed":
                    self.segments.setdefault(rk.run_id, []).append(info)
                tasks.append(lambda r=rk, i=info: self.pull_file(r, i))
            fresh = rk.run_id not in seen and rk.run_id not in deleted
            if fresh and not os.path.lexists(self.store.run_dir(rk.run_id)):
                self.report.runs_new.append(rk.run_id)
            seen.add(rk.run_id)
        return tasks


def pull(store: Store, bucket: Bucket) -> RemoteReport:
    """Copy into ``store`` every run object of ``bucket`` it lacks; never overwrite or delete."""
    store.create()
    puller = Puller(store, bucket)
    tasks = puller.plan(list(bucket.list()))
    try:
        run_all(tasks, PULL_WORKERS, puller.report)
        run_all(puller.artifact_tasks(), PULL_WORKERS, puller.report)
        if not puller.report.failed:
            for run_id, marker in puller.placed.items():
                puller.state.record(f"artifacts:{run_id}", marker[0], marker[1])
    finally:
        with ThreadPoolExecutor(PULL_WORKERS) as pool:  # once per folder, not per file
            list(pool.map(fsync_dir, [*puller.touched, store.runs_dir]))
        puller.state.save()
    return puller.report
