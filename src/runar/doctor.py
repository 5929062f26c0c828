"""`runar doctor`: check a store's log and index, and repair what can be repaired losslessly.

check() reads every segment and reports runs, segments, damaged records, a stale index,
orphaned files and crashed runs. fix() only ever:
    - removes a ``*.tmp`` leftover (interrupted seal or sync) whose events are all in
      the real segment next to it;
    - removes a plain segment whose sealed twin holds every one of its events;
    - seals a plain segment whose writer is dead on this host (complete lines only);
    - catches the index up (rebuilds it when it cannot be opened).
Anything it cannot prove safe stays where it is and stays in the report.
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

from runar.codec import decode_line
from runar.events import WriterOpened
from runar.ids import is_run_id
from runar.journal.reader import read_segment
from runar.journal.segment import PLAIN_SUFFIX, SegmentFile, list_segments, seal
from runar.journal.sync import CONFLICTS_DIRNAME, DELETED_DIRNAME, SYNC_TMP_MARK
from runar.store import CODE_DIRNAME, Store
from runar.views.liveness import effective_status, pid_alive
from runar.views.summary import RunSummary

GRACE_S: Final = 60.0  # younger files may belong to a writer or sealer at work right now
SEGMENT_NAME: Final = re.compile(r"^([a-z0-9]+-[a-z0-9]+)\.(\d{6,})\.jsonl(\.zst)?$")
# cache/: rerun checkouts and the remotes' caches; config.json: named remotes (remote/config.py);
# config/: the write API's token hashes (web/tokens.py)
KNOWN_TOP: Final = frozenset(
    {"runs", "index", ".gitignore", CONFLICTS_DIRNAME, DELETED_DIRNAME, "cache", "config.json"}
    | {"config"}
)
EventIds = set[tuple[str, int]]


@dataclass
class Orphan:
    """A file the log does not need as it is; ``kind`` says why."""

    path: str
    kind: str  # tmp | plain-twin | dead-writer | unknown | symlink
    fixable: bool = False


@dataclass
class DoctorReport:
    """What check() found, and what fix() did about it."""

    store: str
    runs: int = 0
    segments_active: int = 0
    segments_sealed: int = 0
    events: int = 0
    damaged: dict[str, int] = field(default_factory=dict)
    crashed: list[str] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    index_stale: bool = False
    index_note: str = ""
    fixed: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.damaged or self.orphans or self.index_stale)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "healthy": self.healthy}


def event_ids(seg: SegmentFile) -> EventIds:
    """(writer, seq) of every readable event of a segment file."""
    return {(e.writer, e.seq) for e in read_segment(seg).events}


def _segment_at(path: Path, sealed: bool) -> SegmentFile:
    return SegmentFile(path.parent.name, "", 0, path, sealed, 0)


def _old_enough(path: Path, now: float) -> bool:
    try:
        return now - os.lstat(path).st_mtime >= GRACE_S
    except FileNotFoundError:
        return False


def _writer_dead(plain: Path) -> bool:
    """True when the segment's first line names a process of this host that is gone."""
    try:
        with open(plain, "rb") as fh:
            first = fh.readline()
    except OSError:
        return False
    opened = decode_line(first.rstrip(b"\n")) if first.endswith(b"\n") else None
    if not isinstance(opened, WriterOpened):
        return False  # unknown writer: it may be alive on another machine
    return opened.host == socket.gethostname() and not pid_alive(opened.pid)


class _Checker:
    def __init__(self, store: Store, now: float) -> None:
        self.store, self.now = store, now
        self.report = DoctorReport(str(store.root))
        self.counted: dict[str, int] = {}

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.store.root))

    def check(self) -> DoctorReport:
        root = self.store.root
        if root.is_dir():
            for entry in sorted(os.scandir(root), key=lambda e: e.name):
                if entry.name not in KNOWN_TOP:
                    self.report.orphans.append(Orphan(entry.name, "unknown"))
        hidden = self.store.tombstones()  # a tombstoned run a copy brought back: never indexed
        for entry in sorted(os.scandir(self.store.runs_dir), key=lambda e: e.name):
            path = Path(entry.path)
            if entry.is_symlink():
                self.report.orphans.append(Orphan(self.rel(path), "symlink"))
            elif not is_run_id(entry.name) or not entry.is_dir(follow_symlinks=False):
                self.report.orphans.append(Orphan(self.rel(path), "unknown"))
            elif entry.name not in hidden:
                self._check_run(entry.name)
        self._check_index()
        return self.report

    def _check_run(self, run_id: str) -> None:
        run_dir = self.store.run_dir(run_id)
        report = self.report
        report.runs += 1
        segments = list_segments(run_dir)
        summary = RunSummary(run_id=run_id)
        seen: EventIds = set()
        from runar.views.batch import fold_many

        for seg in segments:
            got = read_segment(seg)
            fresh = [e for e in got.events if (e.writer, e.seq) not in seen]
            seen.update((e.writer, e.seq) for e in fresh)
            fold_many(summary, sorted(fresh, key=lambda e: (e.ts, e.writer, e.seq)))
            if got.corrupt:
                report.damaged[run_id] = report.damaged.get(run_id, 0) + got.corrupt
            if seg.sealed:
                report.segments_sealed += 1
            else:
                report.segments_active += 1
        self.counted[run_id] = len(seen)
        report.events += len(seen)
        if effective_status(summary) == "crashed":
            report.crashed.append(run_id)
        self._check_files(run_dir, {s.path.name for s in segments}, segments)

    def _check_files(self, run_dir: Path, live: set[str], segments: list[SegmentFile]) -> None:
        sealed = {s.path.name for s in segments if s.sealed}
        for entry in sorted(os.scandir(run_dir), key=lambda e: e.name):
            path, name = Path(entry.path), entry.name
            if entry.is_symlink():
                self.report.orphans.append(Orphan(self.rel(path), "symlink"))
            elif entry.is_dir(follow_symlinks=False):
                if name not in ("artifacts", CODE_DIRNAME):
                    self.report.orphans.append(Orphan(self.rel(path), "unknown"))
                else:  # the code snapshot is files like artifacts: same checks
                    self._check_artifacts(path)
            elif name.endswith(".tmp"):
                self.report.orphans.append(Orphan(self.rel(path), "tmp", self._tmp_fixable(path)))
            elif SEGMENT_NAME.match(name) is None:
                self.report.orphans.append(Orphan(self.rel(path), "unknown"))
            elif name not in live and name + ".zst" in sealed:
                fixable = _old_enough(path, self.now) and self._covered(path, False, path)
                self.report.orphans.append(Orphan(self.rel(path), "plain-twin", fixable))
            elif name.endswith(PLAIN_SUFFIX) and _old_enough(path, self.now) and _writer_dead(path):
                self.report.orphans.append(Orphan(self.rel(path), "dead-writer", True))

    def _check_artifacts(self, folder: Path) -> None:
        for base, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(base) / name
                if path.is_symlink():
                    self.report.orphans.append(Orphan(self.rel(path), "symlink"))
                elif name.endswith(".tmp"):
                    self.report.orphans.append(Orphan(self.rel(path), "tmp"))

    def _real_name(self, tmp: Path) -> tuple[Path, bool]:
        """The file a tmp was on its way to become, and whether that one is sealed."""
        name = tmp.name[: -len(".tmp")]
        if SYNC_TMP_MARK in name:
            name = name[: name.rindex(SYNC_TMP_MARK)]
        return tmp.with_name(name), name.endswith(".zst")

    def _tmp_fixable(self, tmp: Path) -> bool:
        real, sealed = self._real_name(tmp)
        if SEGMENT_NAME.match(real.name) is None or not _old_enough(tmp, self.now):
            return False
        return self._covered(tmp, sealed, real)

    def _covered(self, path: Path, sealed: bool, real: Path) -> bool:
        """True when every event of ``path`` is also in the real segment(s) it belongs to."""
        stem = real.name.removesuffix(".zst")
        twins = [real.with_name(stem), real.with_name(stem + ".zst")]
        present = [t for t in twins if t != path and t.is_file()]
        if not present:
            return False
        mine = event_ids(_segment_at(path, sealed))
        theirs: EventIds = set()
        for twin in present:
            theirs |= event_ids(_segment_at(twin, twin.name.endswith(".zst")))
        return mine <= theirs

    def _check_index(self) -> None:
        lmdb_dir = self.store.index_dir / "lmdb"
        if not (lmdb_dir / "data.mdb").is_file():
            self.report.index_stale = bool(self.counted)
            self.report.index_note = "no index yet"
            return
        import lmdb

        from runar.views.index import Index

        try:
            index = Index(self.store)
        except lmdb.Error as exc:
            self.report.index_stale, self.report.index_note = True, f"unreadable: {exc}"
            return
        with index, index.read() as txn:
            folded = {
                run_id: summary.events
                for run_id in index.newest_first(txn)
                if (summary := index.summary(txn, run_id)) is not None
            }
        behind = sorted(
            r for r in set(folded) | set(self.counted) if folded.get(r) != self.counted.get(r)
        )
        if behind:
            self.report.index_stale = True
            self.report.index_note = f"{len(behind)} run(s) differ from the log"


def check(store: Store) -> DoctorReport:
    """Look at every run folder and the index; change nothing but a foreign index."""
    if not store.exists:
        return DoctorReport(str(store.root))
    return _Checker(store, time.time()).check()


def fix(store: Store) -> DoctorReport:
    """Repair what loses no event, then check again; the result lists what was done."""
    before = check(store)
    done: list[str] = []
    for orphan in before.orphans:
        if not orphan.fixable:
            continue
        path = store.root / orphan.path
        if orphan.kind in ("tmp", "plain-twin"):
            path.unlink(missing_ok=True)
            done.append(f"removed {orphan.path} ({orphan.kind}: all its events are kept)")
        elif orphan.kind == "dead-writer":
            seal(path)
            done.append(f"sealed {orphan.path} (its writer is gone)")
    if before.index_stale or done:
        from runar.projector import catch_up, rebuild

        try:
            catch_up(store)
        except Exception:  # the index is derived: any trouble in it means start over
            rebuild(store)
        done.append("brought the index up to date")
    after = check(store)
    after.fixed = done
    return after
