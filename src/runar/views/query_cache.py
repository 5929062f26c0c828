"""Every run's query columns kept as one file, so `runar ls --where` reads columns.

Decoding 10,000 summaries costs more than everything else a query does, and the answer
only changes when the index does. The file is named after the LMDB transaction id of
the index it was built from (any write to the index changes it) and the version of its
columns, lives in ``index/query/`` (deleted with the index, rebuilt on demand) and is
written to a temporary name then renamed, so a reader never sees half of one. It holds
query_columns.py's plain columns, each its own msgpack array behind a header that says
where each lies, so a query decodes only the columns it names and needs neither Polars
nor Arrow: `runar ls --where` answers with query_eval.py, frames build their Polars
frame from the same columns. Runs recorded as running are the exception: whether they
still run and how long they have lasted depend on the clock and on their writers'
processes, so those rows are refreshed from their summaries on every read.
"""

from __future__ import annotations

import contextlib
import os
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from runar.views.liveness import effective_status, run_seconds
from runar.views.query_columns import Column, Kind, Needs, needs_of, run_columns
from runar.views.query_eval import select_plain
from runar.views.query_syntax import parse, parse_sort

if TYPE_CHECKING:
    import polars as pl

    from runar.store import Store
    from runar.views import Views

COLUMNS_VERSION: Final = 2  # bump when the columns or the file's layout change meaning
FOLDER: Final = "query"
RECORDED_RUNNING: Final = "recorded running"  # rows refreshed on every read
BASE: Final = ("id", "name", "status", "tags", "created", "duration", "project", "sweep")
EVERYTHING: Final = Needs(config=True, metrics=True, extrema=True, summary=True, git=True)
MAGIC: Final = b"runar query columns\n"
_LENGTH: Final = struct.Struct(">I")  # the header's length, right after MAGIC


class DamagedColumns(ValueError):
    """A columns file that cannot be read: it is built again from the summaries."""


class _Entry(msgspec.Struct, array_like=True):
    name: str
    kind: Kind
    start: int  # offsets from the end of the header
    end: int


class _Header(msgspec.Struct, array_like=True):
    rows: int
    columns: list[_Entry]


_HEADER: Final = msgspec.msgpack.Decoder(_Header)


def _family_of(column: str) -> str | None:
    """Which Needs flag a stored column belongs to; None for the columns always read."""
    if column.startswith("config."):
        return "config"
    if column.startswith("metrics."):
        return "metrics"
    if column.startswith(("min(", "max(")):
        return "extrema"
    if column.startswith("summary."):
        return "summary"
    if column.startswith("git."):
        return "git"
    return None


def _wanted(column: str, needs: Needs) -> bool:
    return (
        column in BASE
        or column == RECORDED_RUNNING
        or getattr(needs, _family_of(column) or "", False)
    )


def _path(store: Store, views: Views, default_project: str | None) -> Path | None:
    if views.index is None:
        return None
    txnid = views.index.env.info()["last_txnid"]
    # 32 bits name the file, as sha256's first 8 hex digits did, without loading hashlib
    project = f"{zlib.crc32((default_project or '').encode()):08x}"
    return Path(store.index_dir) / FOLDER / f"runs-v{COLUMNS_VERSION}-{txnid}-{project}.cols"


def write_columns(path: Path, columns: dict[str, Column]) -> None:
    """MAGIC, the header's length, the header (name, kind, where), then each column."""
    encode = msgspec.msgpack.encode
    blobs = [encode(column.values) for column in columns.values()]
    entries: list[_Entry] = []
    offset = 0
    for (name, column), blob in zip(columns.items(), blobs, strict=True):
        entries.append(_Entry(name, column.kind, offset, offset + len(blob)))
        offset += len(blob)
    rows = len(columns["id"].values) if "id" in columns else 0
    header = encode(_Header(rows, entries))
    with open(path, "wb") as out:
        out.write(MAGIC + _LENGTH.pack(len(header)) + header)
        for blob in blobs:
            out.write(blob)


class StoredColumns(Mapping[str, Column]):
    """A file's columns, each decoded when first asked for: a query reads only its own."""

    def __init__(self, path: Path, needs: Needs) -> None:
        """Read the header of a write_columns() file; ValueError when it is not one."""
        data = path.read_bytes()
        start = len(MAGIC) + _LENGTH.size
        if len(data) < start or not data.startswith(MAGIC):
            raise DamagedColumns(f"{path} holds no query columns")
        (length,) = _LENGTH.unpack_from(data, len(MAGIC))
        try:
            header = _HEADER.decode(data[start : start + length])
        except msgspec.DecodeError as exc:
            raise DamagedColumns(f"{path}: {exc}") from None
        self.path = path
        self.data = memoryview(data)[start + length :]
        self.rows = header.rows
        entries = {e.name: e for e in header.columns}
        running = entries.pop(RECORDED_RUNNING, None)
        self.entries = {name: e for name, e in entries.items() if _wanted(name, needs)}
        self.decoded: dict[str, Column] = {}
        self.patches: dict[str, dict[int, object]] = {}  # column → row → value as of now
        if running is None or "id" not in self.entries:
            raise DamagedColumns(f"{path} lacks a column every file has")
        if any(e.end > len(self.data) for e in header.columns):
            raise DamagedColumns(f"{path} is cut short")
        self.recorded_running: list[bool] = self._decode(running)

    def _decode(self, entry: _Entry) -> list[Any]:
        try:
            values = msgspec.msgpack.decode(self.data[entry.start : entry.end], type=list)
        except msgspec.DecodeError as exc:
            raise DamagedColumns(f"{self.path}: {exc}") from None
        if len(values) != self.rows:
            raise DamagedColumns(f"{self.path}: column {entry.name} is cut short")
        return values

    def __getitem__(self, name: str) -> Column:
        column = self.decoded.get(name)
        if column is not None:
            return column
        entry = self.entries[name]
        values = self._decode(entry)
        for row, value in self.patches.get(name, {}).items():
            values[row] = value
        column = self.decoded[name] = Column(entry.kind, values)
        return column

    def __contains__(self, name: object) -> bool:
        return name in self.entries  # without decoding it

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def read_columns(path: Path, needs: Needs) -> dict[str, Column]:
    """Every column ``needs`` names (and the base ones) of a write_columns() file, decoded.

    Raises:
        DamagedColumns: not such a file, or a damaged one.
    """
    stored = StoredColumns(path, needs)
    return {name: stored[name] for name in stored}


def _build(views: Views, path: Path | None, default_project: str | None) -> dict[str, Column]:
    """Every family from the summaries; written to ``path`` for the next reader."""
    summaries = views.runs()
    runs = [(s, effective_status(s)) for s in summaries]
    columns = run_columns(runs, EVERYTHING, default_project=default_project)
    columns[RECORDED_RUNNING] = Column("bool", [s.finished is None for s in summaries])
    if path is not None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_columns(tmp, columns)
            os.replace(tmp, path)  # whole or absent: never half a file under the real name
            for old in path.parent.glob("runs-*"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:  # a full or read-only disk: answer from memory, build again next time
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return columns


def _refresh_running(
    columns: StoredColumns | dict[str, Column], running: list[bool], views: Views, now_ns: int
) -> None:
    """Status and duration of runs without a finish event, as of now (in place)."""
    live = [row for row, flag in enumerate(running) if flag]
    if not live:
        return
    ids = columns["id"].values
    index = views.index
    assert index is not None  # rows came from an index
    with index.read() as txn:
        summaries = [(row, index.summary(txn, ids[row])) for row in live]
    statuses: dict[int, object] = {}
    durations: dict[int, object] = {}
    for row, summary in summaries:
        if summary is None:
            continue  # removed since the file was written; the next catch-up drops it
        status = statuses[row] = effective_status(summary, now_ns)
        seconds = run_seconds(summary, status, now_ns)
        durations[row] = None if seconds is None else float(seconds)
    if isinstance(columns, StoredColumns):  # applied when those columns are decoded
        columns.patches = {"status": statuses, "duration": durations}
        return
    for name, patch in (("status", statuses), ("duration", durations)):
        values = list(columns[name].values)
        for row, value in patch.items():
            values[row] = value
        columns[name] = Column(columns[name].kind, values)


def cached_columns(
    store: Store,
    views: Views,
    needs: Needs,
    default_project: str | None = None,
    now_ns: int | None = None,
    rebuild: bool = False,
) -> Mapping[str, Column]:
    """The query columns of every run with the families ``needs`` names, as of now.

    Read from the file when it is there (each column decoded on first use, so a column
    torn inside it raises DamagedColumns then), else or with ``rebuild`` built again.
    """
    now = time.time_ns() if now_ns is None else now_ns
    path = _path(store, views, default_project)
    if path is not None and not rebuild:
        try:
            stored = StoredColumns(path, needs)
            _refresh_running(stored, stored.recorded_running, views, now)
            return stored
        except (OSError, DamagedColumns):
            pass  # absent, torn or foreign: build it again
    built = _build(views, path, default_project)
    running = built.pop(RECORDED_RUNNING).values
    columns = {name: column for name, column in built.items() if _wanted(name, needs)}
    _refresh_running(columns, running, views, now)
    return columns


def cached_frame(
    store: Store,
    views: Views,
    needs: Needs,
    default_project: str | None = None,
    now_ns: int | None = None,
) -> pl.DataFrame:
    """cached_columns() as a Polars frame (query_frame.py's columns)."""
    from runar.views.query_frame import frame_of

    try:
        return frame_of(cached_columns(store, views, needs, default_project, now_ns))
    except DamagedColumns:  # a column torn inside the file: build it again
        return frame_of(cached_columns(store, views, needs, default_project, now_ns, True))


def select_cached(
    store: Store,
    views: Views,
    where: str | None,
    sort: str | None,
    default_project: str | None = None,
    now_ns: int | None = None,
) -> list[str]:
    """Ids of the runs matching ``where`` in ``sort`` order, newest first otherwise.

    Answered by query_eval.py over the cached columns: no Polars import.
    """
    node = parse(where) if where else None
    sort_field = parse_sort(sort)[0] if sort else None
    needs = needs_of(node, sort_field)
    try:
        columns = cached_columns(store, views, needs, default_project, now_ns)
        return select_plain(columns, where, sort, now_ns)
    except DamagedColumns:  # a column torn inside the file: build it again
        columns = cached_columns(store, views, needs, default_project, now_ns, rebuild=True)
        return select_plain(columns, where, sort, now_ns)
