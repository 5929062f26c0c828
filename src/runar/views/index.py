"""The LMDB index under .runar/index/: summaries, lookups and the projector's checkpoints.

Databases (keys are UTF-8 unless noted):
    meta         format, host and store path: a copied or foreign index is detected
    summaries    run_id → msgpack RunSummary
    checkpoints  run_id → msgpack RunCheckpoint (what of the log has been folded)
    stamps       run_id → folder mtime, ctime and an 'active' flag, packed: the no-op
                 catch-up reads only these
    by_time      8-byte big-endian created_ts + run_id → b""   (newest-first listing)
    by_name      name \\0 run_id → b""
    by_tag       tag \\0 run_id → b""
    by_status    recorded status \\0 run_id → b""
    by_rerun     rerun_of \\0 run_id → b""   (a run's reruns, for the reproducibility score)
    by_project   recorded project ("" when none) \\0 run_id → b""
    by_source    RunStarted.source \\0 run_id → b""   (sweep records: not counted as runs)
One process writes at a time (LMDB serializes write transactions); readers never block.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import lmdb
import msgspec

from runar.ids import host_name
from runar.store import Store
from runar.views.anomaly_watch import AnomalyState
from runar.views.output_metrics import StreamState
from runar.views.summary import RunSummary

# 3: output parser state per stream, args; 4: by_project; 5: by_rerun; 6, 7: anomalies;
# 8: by_source
INDEX_FORMAT: Final = b"runar-index-8"
INITIAL_MAP_BYTES: Final = 256 << 20
_DBS: Final = (
    "meta",
    "summaries",
    "checkpoints",
    "stamps",
    "by_time",
    "by_name",
    "by_tag",
    "by_status",
    "by_rerun",
    "by_project",
    "by_source",
)


class SegmentCheckpoint(msgspec.Struct, array_like=True):
    """How far a segment has been folded: uncompressed offset and the size last seen."""

    offset: int
    size: int
    sealed: bool


class RunCheckpoint(msgspec.Struct, kw_only=True):
    """Everything the projector needs to continue a run where it stopped."""

    dir_stamp: tuple[int, int] = (0, 0)
    segments: dict[str, SegmentCheckpoint] = {}
    seen: dict[str, list[tuple[int, int]]] = {}
    output_state: dict[str, StreamState] = {}
    anomalies: AnomalyState = msgspec.field(default_factory=AnomalyState)  # detector state

    @property
    def active(self) -> bool:
        """True while some segment is still plain (may grow without the folder changing)."""
        return any(not s.sealed for s in self.segments.values())


# The index is derived: losing its last transactions in a power cut is fine (they are
# folded again), so commits skip fsync; LMDB still never exposes a torn transaction.
_ENV_OPTIONS: Final = {"sync": False, "metasync": False}

FOLDER_STAMP: Final = struct.Struct("<qq")  # a run folder's (mtime_ns, ctime_ns) when folded


_summary_decoder = msgspec.msgpack.Decoder(RunSummary)
_checkpoint_decoder = msgspec.msgpack.Decoder(RunCheckpoint)
_encoder = msgspec.msgpack.Encoder()


_META = struct.Struct("<IIQQ")  # magic, version, address, mapsize (after a 16-byte page header)
_META_TAIL = struct.Struct("<QQ")  # last used page, txn id (after the two 48-byte db records)
_LMDB_MAGIC: Final = 0xBEEFC0DE


def _is_truncated(data_file: Path) -> bool:
    """True when the newest meta page of an LMDB file names pages beyond the file's end."""
    try:
        with open(data_file, "rb") as fh:
            head = fh.read(1 << 16)
            size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        return False
    if len(head) < 160:
        return size > 0  # too short to hold its meta pages
    page_size = int.from_bytes(head[40:44], "little")  # kept in the free-db record's pad
    if page_size < 512 or page_size > len(head) - 160 or page_size & (page_size - 1):
        return False  # not a meta page we can read: let LMDB itself judge it
    metas = []
    for offset in (0, page_size):
        magic, _, _, _ = _META.unpack_from(head, offset + 16)
        if magic == _LMDB_MAGIC:
            metas.append(_META_TAIL.unpack_from(head, offset + 136))
    if not metas:
        return False
    last_page, _ = max(metas, key=lambda m: m[1])
    return size < (last_page + 1) * page_size


def _time_key(created_ts: int, run_id: str) -> bytes:
    return max(created_ts, 0).to_bytes(8, "big") + run_id.encode()


# LMDB refuses keys over 511 bytes; a lookup key is the value, \0 and a 16-character run id
MAX_LOOKUP_BYTES: Final = 511 - 17


def _lookup(value: str) -> bytes:
    """A name, tag or project as its lookup key; one too long is cut and suffixed with its hash."""
    # a run renamed to 5,000 characters (by hand, over HTTP, in a peer's synced log) must be
    # indexed: LMDB's refusal failed every command's catch-up, so the store was unusable
    raw = value.encode()
    if len(raw) <= MAX_LOOKUP_BYTES:
        return raw
    import hashlib

    head = raw[: MAX_LOOKUP_BYTES - 17].decode(errors="ignore").encode()  # whole characters
    return head + b"~" + hashlib.sha256(raw).hexdigest()[:16].encode()


def _pair(a: str, run_id: str) -> bytes:
    return _lookup(a) + b"\0" + run_id.encode()


class Index:
    """An open LMDB index of one store."""

    def __init__(self, store: Store, map_bytes: int = INITIAL_MAP_BYTES) -> None:
        self.store = store
        self.path = store.index_dir / "lmdb"
        self.env = self._open(map_bytes)
        self.dbs = {name: self.env.open_db(name.encode()) for name in _DBS}
        if not self._is_ours():
            self.reset()

    def _open(self, map_bytes: int) -> lmdb.Environment:
        self.path.mkdir(parents=True, exist_ok=True)
        if _is_truncated(self.path / "data.mdb"):
            # LMDB maps the file whole: touching a page past its end kills us with SIGBUS
            _remove_tree(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
        try:
            return lmdb.open(
                str(self.path), map_size=map_bytes, max_dbs=len(_DBS) + 1, **_ENV_OPTIONS
            )
        except lmdb.Error:
            # damaged index files: the log is the truth, start over
            _remove_tree(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
            return lmdb.open(
                str(self.path), map_size=map_bytes, max_dbs=len(_DBS) + 1, **_ENV_OPTIONS
            )

    def _identity(self) -> dict[str, bytes]:
        return {
            "format": INDEX_FORMAT,
            "host": host_name().encode(),
            "store": str(self.store.root).encode(),
        }

    def _is_ours(self) -> bool:
        with self.env.begin(db=self.dbs["meta"]) as txn:
            return all(txn.get(k.encode()) == v for k, v in self._identity().items())

    def reset(self) -> None:
        """Empty every database and stamp the index as this machine's."""
        with self.write() as txn:
            for db in self.dbs.values():
                txn.drop(db, delete=False)
            for key, value in self._identity().items():
                txn.put(key.encode(), value, db=self.dbs["meta"])

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------
    def write(self) -> lmdb.Transaction:
        return self.env.begin(write=True)

    def read(self) -> lmdb.Transaction:
        return self.env.begin()

    def grow(self) -> None:
        """Double the map after MapFullError (py-lmdb's default map is only 10 MiB)."""
        self.env.set_mapsize(self.env.info()["map_size"] * 2)

    # -- checkpoints ----------------------------------------------------------------
    def checkpoint(self, txn: lmdb.Transaction, run_id: str) -> RunCheckpoint:
        raw = txn.get(run_id.encode(), db=self.dbs["checkpoints"])
        return _checkpoint_decoder.decode(raw) if raw else RunCheckpoint()

    def stamps(self, txn: lmdb.Transaction) -> dict[str, bytes]:
        """Run id → packed folder stamp + b"A" if still active: all a no-op catch-up reads."""
        with txn.cursor(db=self.dbs["stamps"]) as cur:
            return {k.decode(): v for k, v in cur}

    # -- summaries ------------------------------------------------------------------
    def summary(self, txn: lmdb.Transaction, run_id: str) -> RunSummary | None:
        raw = txn.get(run_id.encode(), db=self.dbs["summaries"])
        return _summary_decoder.decode(raw) if raw else None

    def save(
        self,
        txn: lmdb.Transaction,
        summary: RunSummary,
        checkpoint: RunCheckpoint,
        previous: RunSummary | None,
    ) -> None:
        """Store a run's summary, checkpoint and lookups in one transaction."""
        if previous is not None:
            self._unlink_lookups(txn, previous)
        run_id = summary.run_id
        txn.put(run_id.encode(), _encoder.encode(summary), db=self.dbs["summaries"])
        txn.put(run_id.encode(), _encoder.encode(checkpoint), db=self.dbs["checkpoints"])
        stamp = FOLDER_STAMP.pack(*checkpoint.dir_stamp) + (b"A" if checkpoint.active else b"")
        txn.put(run_id.encode(), stamp, db=self.dbs["stamps"])
        txn.put(_time_key(summary.created_ts, run_id), b"", db=self.dbs["by_time"])
        if summary.display_name:
            txn.put(_pair(summary.display_name, run_id), b"", db=self.dbs["by_name"])
        for tag in summary.tag_list():
            txn.put(_pair(tag, run_id), b"", db=self.dbs["by_tag"])
        txn.put(_pair(summary.recorded_status, run_id), b"", db=self.dbs["by_status"])
        if summary.started is not None and summary.started.rerun_of:
            txn.put(_pair(summary.started.rerun_of, run_id), b"", db=self.dbs["by_rerun"])
        txn.put(_pair(summary.project or "", run_id), b"", db=self.dbs["by_project"])
        if summary.started is not None:
            txn.put(_pair(summary.started.source, run_id), b"", db=self.dbs["by_source"])

    def _unlink_lookups(self, txn: lmdb.Transaction, old: RunSummary) -> None:
        run_id = old.run_id
        txn.delete(_time_key(old.created_ts, run_id), db=self.dbs["by_time"])
        if old.display_name:
            txn.delete(_pair(old.display_name, run_id), db=self.dbs["by_name"])
        for tag in old.tag_list():
            txn.delete(_pair(tag, run_id), db=self.dbs["by_tag"])
        txn.delete(_pair(old.recorded_status, run_id), db=self.dbs["by_status"])
        if old.started is not None and old.started.rerun_of:
            txn.delete(_pair(old.started.rerun_of, run_id), db=self.dbs["by_rerun"])
        txn.delete(_pair(old.project or "", run_id), db=self.dbs["by_project"])
        if old.started is not None:
            txn.delete(_pair(old.started.source, run_id), db=self.dbs["by_source"])

    def forget(self, txn: lmdb.Transaction, run_id: str) -> None:
        """Drop a run whose folder is gone."""
        old = self.summary(txn, run_id)
        if old is not None:
            self._unlink_lookups(txn, old)
        txn.delete(run_id.encode(), db=self.dbs["summaries"])
        txn.delete(run_id.encode(), db=self.dbs["checkpoints"])
        txn.delete(run_id.encode(), db=self.dbs["stamps"])

    # -- lookups --------------------------------------------------------------------
    def newest_first(self, txn: lmdb.Transaction) -> Iterator[str]:
        with txn.cursor(db=self.dbs["by_time"]) as cur:
            if not cur.last():
                return
            while True:
                yield cur.key()[8:].decode()
                if not cur.prev():
                    return

    def ids_with(self, txn: lmdb.Transaction, lookup: str, value: str) -> set[str]:
        """Run ids whose name/tag/status equals ``value``."""
        prefix = _lookup(value) + b"\0"
        found: set[str] = set()
        with txn.cursor(db=self.dbs[f"by_{lookup}"]) as cur:
            if not cur.set_range(prefix):
                return found
            for key in cur.iternext(values=False):
                if not key.startswith(prefix):
                    break
                found.add(key[len(prefix) :].decode())
        return found

    def names(self, txn: lmdb.Transaction) -> dict[str, list[str]]:
        """Run name → run ids carrying it."""
        names: dict[str, list[str]] = {}
        with txn.cursor(db=self.dbs["by_name"]) as cur:
            for key in cur.iternext(values=False):
                name, _, run_id = key.decode().rpartition("\0")
                names.setdefault(name, []).append(run_id)
        return names

    def project_counts(self, txn: lmdb.Transaction) -> dict[str, int]:
        """Recorded project ("" for runs without one) → number of runs.

        A store of one project (the usual case, checked on every `runar ls`) costs two
        cursor seeks, not a walk over every run.
        """
        db = self.dbs["by_project"]
        with txn.cursor(db=db) as cur:
            if not cur.first():
                return {}
            first = cur.key()[: cur.key().rindex(b"\0")]
            if not cur.set_range(first + b"\x01"):
                return {first.decode(): txn.stat(db)["entries"]}
            counts: dict[str, int] = {}
            cur.first()
            for key in cur.iternext(values=False):
                project = key[: key.rindex(b"\0")].decode()
                counts[project] = counts.get(project, 0) + 1
        return counts

    def count(self, txn: lmdb.Transaction) -> int:
        return txn.stat(self.dbs["summaries"])["entries"]


def remove_index(store: Store) -> None:
    """Delete the derived folder: it is rebuilt from the log on the next catch-up."""
    _remove_tree(Path(store.index_dir))


def _remove_tree(folder: Path) -> None:
    import shutil  # only to start over: with bz2 and lzma it costs every command ~2 ms

    shutil.rmtree(folder, ignore_errors=True)
