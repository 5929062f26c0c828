"""Every run's query columns kept as one Arrow file, so `runar ls --where` reads columns.

Decoding 10,000 summaries costs more than everything else a query does, and the answer
only changes when the index does. The file is named after the LMDB transaction id of
the index it was built from (any write to the index changes it) and the version of its
columns, lives in ``index/query/`` (deleted with the index, rebuilt on demand) and is
written to a temporary name then renamed, so a reader never sees half of one. A query
reads only the columns it names. Runs recorded as running are the exception: whether
they still run and how long they have lasted depend on the clock and on their writers'
processes, so those rows are refreshed from their summaries on every read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runar.views.liveness import effective_status, run_seconds
from runar.views.query import Needs, needs_of
from runar.views.query_frame import query_frame, select_ids
from runar.views.query_syntax import parse, parse_sort

if TYPE_CHECKING:
    import polars as pl

    from runar.store import Store
    from runar.views import Views

COLUMNS_VERSION: Final = 1  # bump when query_frame's columns change meaning
FOLDER: Final = "query"
RECORDED_RUNNING: Final = "recorded running"  # rows refreshed on every read
BASE: Final = ("id", "name", "status", "tags", "created", "duration", "project", "sweep")
EVERYTHING: Final = Needs(config=True, metrics=True, extrema=True, summary=True, git=True)


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


def _path(store: Store, views: Views, default_project: str | None) -> Path | None:
    if views.index is None:
        return None
    txnid = views.index.env.info()["last_txnid"]
    project = hashlib.sha256((default_project or "").encode()).hexdigest()[:8]
    return Path(store.index_dir) / FOLDER / f"runs-v{COLUMNS_VERSION}-{txnid}-{project}.arrow"


def _build(views: Views, path: Path | None, default_project: str | None) -> pl.DataFrame:
    """Every family from the summaries; written to ``path`` for the next reader."""
    import polars as pl

    summaries = views.runs()
    runs = [(s, effective_status(s)) for s in summaries]
    frame = query_frame(runs, EVERYTHING, default_project=default_project).with_columns(
        pl.Series(RECORDED_RUNNING, [s.finished is None for s in summaries], dtype=pl.Boolean)
    )
    if path is not None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.write_ipc(tmp)
            os.replace(tmp, path)  # whole or absent: never half a file under the real name
            for old in path.parent.glob("runs-*.arrow"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:  # a full or read-only disk: answer from memory, build again next time
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return frame


def _refresh_running(frame: pl.DataFrame, views: Views, now_ns: int) -> pl.DataFrame:
    """Status and duration of runs without a finish event, as of now."""
    import polars as pl

    live = frame.filter(pl.col(RECORDED_RUNNING))["id"].to_list()
    if not live:
        return frame
    ids, statuses, durations = [], [], []
    index = views.index
    assert index is not None  # a frame with rows came from an index
    with index.read() as txn:
        summaries = [index.summary(txn, run_id) for run_id in live]
    for summary in summaries:
        if summary is None:
            continue  # removed since the frame was written; the next catch-up drops it
        status = effective_status(summary, now_ns)
        ids.append(summary.run_id)
        statuses.append(status)
        durations.append(run_seconds(summary, status, now_ns))
    fresh = pl.DataFrame(
        {"id": ids, "status": statuses, "duration": durations},
        schema={"id": pl.String, "status": pl.String, "duration": pl.Float64},
    )
    return frame.update(fresh, on="id", include_nulls=True)


def cached_frame(
    store: Store,
    views: Views,
    needs: Needs,
    default_project: str | None = None,
    now_ns: int | None = None,
) -> pl.DataFrame:
    """The query frame of every run with the families ``needs`` names, as of now."""
    import polars as pl

    now = time.time_ns() if now_ns is None else now_ns
    path = _path(store, views, default_project)
    frame: pl.DataFrame | None = None

    def wanted(names: list[str]) -> list[str]:
        return [
            c
            for c in names
            if c in BASE or c == RECORDED_RUNNING or getattr(needs, _family_of(c) or "", False)
        ]

    if path is not None and path.exists():
        try:
            frame = pl.read_ipc(path, columns=wanted(list(pl.read_ipc_schema(path))))
        except (OSError, pl.exceptions.PolarsError):
            frame = None  # torn or foreign: build it again
    if frame is None:
        frame = _build(views, path, default_project)
        frame = frame.select(wanted(frame.columns))
    frame = _refresh_running(frame, views, now)
    return frame.drop(RECORDED_RUNNING)


def select_cached(
    store: Store,
    views: Views,
    where: str | None,
    sort: str | None,
    default_project: str | None = None,
    now_ns: int | None = None,
) -> list[str]:
    """Ids of the runs matching ``where`` in ``sort`` order, newest first otherwise."""
    node = parse(where) if where else None
    sort_field = parse_sort(sort)[0] if sort else None
    frame = cached_frame(store, views, needs_of(node, sort_field), default_project, now_ns)
    return select_ids(frame, where, sort, now_ns)
