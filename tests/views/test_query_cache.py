"""The query columns kept on disk: reused while the index is unchanged, never stale."""

from __future__ import annotations

import math
import struct
from pathlib import Path

from runar.events import ConfigSet, MetricsLogged, TagsChanged
from runar.projector import rebuild
from runar.store import Store
from runar.views import open_views
from runar.views.query import Needs
from runar.views.query_cache import (
    FOLDER,
    MAGIC,
    RECORDED_RUNNING,
    cached_frame,
    read_columns,
    select_cached,
    write_columns,
)
from runar.views.query_columns import Column

from .helpers import write_run

S = 1_000_000_000


def _select(store: Store, where: str, sort: str | None = None, now_ns: int | None = None):
    with open_views(store) as views:
        return select_cached(store, views, where, sort, now_ns=now_ns)


def _files(store: Store) -> list[Path]:
    return sorted((Path(store.index_dir) / FOLDER).glob("runs-*"))


def _run(store: Store, lr: float, acc: float, finish: str | None = "completed") -> str:
    events = [ConfigSet(values={"lr": lr}), MetricsLogged(values={"acc": acc}, step=0)]
    return write_run(store, events, finish=finish)


def test_written_once_and_reused_while_nothing_changes(store: Store) -> None:
    a = _run(store, 1e-4, 0.95)
    _run(store, 1e-2, 0.99)
    assert _select(store, "config.lr < 1e-3 and metrics.acc > 0.9") == [a]
    first = _files(store)
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    assert _select(store, "lr<1e-3 acc>0.9") == [a]
    assert _files(store) == first and first[0].stat().st_mtime_ns == stamp


def test_a_new_run_or_an_edit_makes_a_new_file(store: Store) -> None:
    a = _run(store, 1e-4, 0.95)
    assert _select(store, "acc > 0.9") == [a]
    b = _run(store, 1e-5, 0.97)
    assert _select(store, "acc > 0.9") == [b, a]  # newest first
    with open_views(store):
        pass
    write_run(store, [TagsChanged(added=["late"])], run_id=b, finish=None)
    assert _select(store, "tag:late") == [b]
    assert len(_files(store)) == 1  # the older file is gone


def test_a_damaged_file_is_built_again(store: Store) -> None:
    a = _run(store, 1e-4, 0.95)
    _select(store, "acc > 0.9")
    (path,) = _files(store)
    path.write_bytes(b"not columns at all")
    assert _select(store, "acc > 0.9") == [a]
    assert _files(store)[0].read_bytes().startswith(MAGIC)
    _files(store)[0].write_bytes(MAGIC + b"\x00\x00\x00\x05abc")  # torn after the magic
    assert _select(store, "acc > 0.9") == [a]
    whole = _files(store)[0].read_bytes()
    _files(store)[0].write_bytes(whole[:-5])  # the last column cut short
    assert _select(store, "acc > 0.9") == [a]
    assert _files(store)[0].read_bytes() == whole
    (length,) = struct.unpack_from(">I", whole, len(MAGIC))
    ids_at = len(MAGIC) + 4 + length  # the first column: read only once the answer is known
    _files(store)[0].write_bytes(whole[:ids_at] + b"\xc1" + whole[ids_at + 1 :])
    assert _select(store, "acc > 0.9") == [a]
    with open_views(store) as views:
        assert cached_frame(store, views, Needs())["id"].to_list() == [a]


def test_a_rebuilt_index_never_reads_an_old_file(store: Store) -> None:
    a = _run(store, 1e-4, 0.95)
    _select(store, "acc > 0.9")
    rebuild(store)
    b = _run(store, 1e-4, 0.99)
    assert _select(store, "acc > 0.9") == [b, a]


def test_running_runs_are_read_as_of_now(store: Store) -> None:
    live = _run(store, 1e-3, 0.5, finish=None)  # its writer is this process: still running
    with open_views(store) as views:
        start = views.get(live).created_ts
    soon, late = start + 60 * S, start + 5 * 3600 * S
    assert _select(store, "status:running and duration < 1h", now_ns=soon) == [live]
    assert _select(store, "duration > 4h", now_ns=late) == [live]  # the same file, later
    assert _select(store, "duration > 4h", now_ns=soon) == []


def test_only_the_named_columns_are_read(store: Store) -> None:
    _run(store, 1e-4, 0.95)
    with open_views(store) as views:
        plain = cached_frame(store, views, Needs())
        config = cached_frame(store, views, Needs(config=True))
    assert not any(c.startswith(("config.", "metrics.")) for c in plain.columns)
    assert "config.lr" in config.columns and "metrics.acc" not in config.columns


def test_columns_read_back_as_written(tmp_path: Path) -> None:
    columns = {
        "id": Column("str", ["a", "b", "c"]),
        "tags": Column("tags", [[], ["x", "y"], ["z"]]),
        "created": Column("int", [2**63 - 1, None, -(2**63)]),
        "config.lr": Column("float", [math.nan, math.inf, None]),
        "config.flag": Column("bool", [True, None, False]),
        "config.none": Column("null", [None, None, None]),
        "metrics.acc": Column("float", [0.5, None, 1.0]),
        RECORDED_RUNNING: Column("bool", [False, False, True]),
    }
    path = tmp_path / "runs.cols"
    write_columns(path, columns)
    back = read_columns(path, Needs(config=True))
    assert list(back) == ["id", "tags", "created", "config.lr", "config.flag", "config.none"]
    assert back["tags"] == columns["tags"] and back["created"] == columns["created"]
    assert math.isnan(back["config.lr"].values[0]) and back["config.lr"].values[1:] == [
        math.inf,
        None,
    ]
    assert back["config.flag"] == columns["config.flag"]
