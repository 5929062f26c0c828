import os
import shutil
import subprocess
import sys

import lmdb
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar.events import (
    ConfigSet,
    MetricsLogged,
    OutputCaptured,
    RunFinished,
    RunStarted,
    TagsChanged,
)
from runar.ids import new_run_id
from runar.journal import JournalWriter, list_segments
from runar.journal.reader import ZSTD_MAGIC
from runar.projector import catch_up, claim, rebuild
from runar.store import Store
from runar.views import open_views
from runar.views.index import Index

from .helpers import write_run


def _snapshot(store: Store) -> dict[str, bytes]:
    """Every summary as bytes (writers' pids/hosts included), for exact comparison."""
    with open_views(store) as views:
        return {s.run_id: msgspec.msgpack.encode(s) for s in views.runs()}


def test_catch_up_folds_only_new_events(store):
    run_id = write_run(store, [MetricsLogged(values={"loss": 1.0}, step=1)], finish=None)
    first = catch_up(store)
    assert first.runs_changed == [run_id]
    assert catch_up(store).events == 0
    with JournalWriter(store.run_dir(run_id), run_id, role="more") as w:
        w.append(MetricsLogged(values={"loss": 0.5}, step=2))
    again = catch_up(store)
    assert again.runs_changed == [run_id]
    assert again.events == 2  # its writer-opened and the metric; nothing folded twice


def test_growth_of_an_active_segment_is_seen(store):
    run_id = new_run_id()
    w = JournalWriter(store.run_dir(run_id), run_id)
    w.append(RunStarted(run_id=run_id))
    w.flush()
    catch_up(store)
    w.append(MetricsLogged(values={"acc": 0.7}, step=1))
    w.flush()
    catch_up(store)
    with open_views(store, catch_up=False) as views:
        assert views.get(run_id).metrics["acc"].last == 0.7
    w.close()


def test_rebuild_gives_identical_views(store):
    for i in range(3):
        write_run(
            store, [ConfigSet(values={"lr": 0.1 * i}), MetricsLogged(values={"x": i})], name=f"r{i}"
        )
    before = _snapshot(store)
    shutil.rmtree(store.index_dir)
    assert _snapshot(store) == before
    rebuild(store)
    assert _snapshot(store) == before


def test_a_duplicated_segment_is_folded_once(store):
    run_id = write_run(store, [MetricsLogged(values={"loss": 1.0}, step=1)])
    catch_up(store)
    before = _snapshot(store)
    seg = next(store.run_dir(run_id).glob("*.zst"))
    writer, number, rest = seg.name.split(".", 2)
    # the same writer's bytes under another segment number: what a replayed rewrite leaves
    shutil.copy(seg, seg.with_name(f"{writer}.{int(number) + 5:06d}.{rest}"))
    report = catch_up(store)
    with open_views(store) as views:
        summary = views.get(run_id)
    assert report.events > 0 and summary.duplicates > 0
    assert summary.metrics["loss"].count == 1
    assert msgspec.msgpack.decode(before[run_id])["events"] == summary.events


def test_deleted_run_leaves_the_views(store):
    keep = write_run(store, [], name="keep")
    gone = write_run(store, [], name="gone")
    catch_up(store)
    shutil.rmtree(store.run_dir(gone))
    assert catch_up(store).runs_removed == [gone]
    with open_views(store) as views:
        assert [s.run_id for s in views.runs()] == [keep]


def test_dead_writer_without_finish_shows_crashed(store):
    run_id = new_run_id()
    w = JournalWriter(store.run_dir(run_id), run_id)
    w.append(RunStarted(run_id=run_id))
    w.close()
    # rewrite the writer's pid to one that cannot be alive
    with open_views(store) as views:
        assert views.status(views.get(run_id)) == "running"  # this process is alive
    with Index(store) as index, index.write() as txn:
        summary = index.summary(txn, run_id)
        for info in summary.writers.values():
            info.pid = 2**22 + 12345
        index.save(txn, summary, index.checkpoint(txn, run_id), index.summary(txn, run_id))
    with open_views(store, catch_up=False) as views:
        assert views.status(views.get(run_id)) == "crashed"


def test_foreign_index_is_rebuilt_not_trusted(store):
    write_run(store, [], name="mine")
    catch_up(store)
    with Index(store) as index, index.write() as txn:
        txn.put(b"host", b"someone-elses-laptop", db=index.dbs["meta"])
        txn.put(b"bogus", b"x", db=index.dbs["summaries"])
    with open_views(store) as views:
        assert [s.display_name for s in views.runs()] == ["mine"]


def test_garbage_index_files_are_rebuilt(store):
    write_run(store, [], name="mine")
    catch_up(store)
    for f in (store.index_dir / "lmdb").iterdir():
        f.write_bytes(os.urandom(4096))
    with open_views(store) as views:
        assert [s.display_name for s in views.runs()] == ["mine"]


def test_full_lmdb_map_grows_instead_of_failing(store):
    """py-lmdb's default map is 10 MiB and a full map raises MapFullError."""
    big = {f"k{i}": "x" * 1000 for i in range(300)}
    for _ in range(3):
        write_run(store, [ConfigSet(values=big)])
    index = Index(store, map_bytes=256 * 1024)
    try:
        with pytest.raises(lmdb.MapFullError), index.write() as txn:
            txn.put(b"probe", b"x" * (512 * 1024), db=index.dbs["meta"])
        report = catch_up(store, index)
        assert len(report.runs_changed) == 3
    finally:
        index.close()


def test_stdout_lines_become_metrics_unless_disabled(store):
    def run(parse: bool) -> str:
        run_id = new_run_id()
        with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
            w.append(RunStarted(run_id=run_id, parse_output=parse))
            w.append(OutputCaptured(stream="stdout", text="Epoch 1: loss=0.5"))
            w.append(OutputCaptured(stream="stdout", text="0, acc=0.75\nnoise\n"))
        return run_id

    parsed, plain = run(True), run(False)
    several = new_run_id()
    with JournalWriter(store.run_dir(several), several, role="runner") as w:
        w.append(RunStarted(run_id=several))
        w.append(OutputCaptured(stream="stdout", text="loss=0.9\nloss=0.7\nloss=0.4\n"))
    with open_views(store) as views:
        assert views.get(parsed).last_metrics() == {"loss": 0.50, "acc": 0.75}
        assert views.get(plain).last_metrics() == {}
        assert views.get(several).metrics["loss"].last == 0.4  # the chunk's last line


def test_lookups_by_name_tag_status(store):
    a = write_run(store, [TagsChanged(added=["base"])], name="bert-small")
    b = write_run(store, [], name="gpt", finish="failed")
    with open_views(store) as views:
        assert [s.run_id for s in views.runs(tag="base")] == [a]
        assert [s.run_id for s in views.runs(status="failed")] == [b]
        assert [s.run_id for s in views.runs(name="BERT")] == [a]
        assert views.get("gpt").run_id == b
        assert views.count() == 2


def test_claim_tracks_out_of_order_sequences():
    seen: dict[str, list[tuple[int, int]]] = {}
    assert [claim(seen, "w", s) for s in (1, 2, 5, 3, 4, 2, 5)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert seen["w"] == [(1, 5)]


_split = st.lists(st.integers(0, 3), min_size=1, max_size=40)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_split)
def test_views_do_not_depend_on_how_events_are_split_across_writers(tmp_path_factory, owners):
    """The same facts written by 1 writer or spread over 4 give the same summary."""
    metrics = [
        MetricsLogged(values={"loss": 1.0 / (i + 1), f"k{i % 3}": float(i)}, step=i, ts=1000 + i)
        for i in range(len(owners))
    ]

    def build(split: bool) -> dict:
        root = tmp_path_factory.mktemp("s")
        store = Store(root / ".runar").create()
        run_id = "0123456789abcdef"
        writers = [JournalWriter(store.run_dir(run_id), run_id, role=f"w{i}") for i in range(4)]
        for event, owner in zip(metrics, owners, strict=True):
            copy = msgspec.structs.replace(event, values=dict(event.values))
            writers[owner if split else 0].append(copy)
        for w in writers:
            w.close()
        with open_views(store) as views:
            s = views.get(run_id)
        return {k: (m.last, m.last_step, m.min, m.max, m.count) for k, m in s.metrics.items()}

    assert build(split=True) == build(split=False)


def test_a_tombstoned_run_copied_back_stays_out_of_the_views(store):
    gone = write_run(store, [], name="gone")
    catch_up(store)
    store.deleted_dir.mkdir()
    (
        store.deleted_dir / gone
    ).touch()  # what 'runar rm --everywhere' leaves; rsync copies the run back
    with open_views(store) as views:
        assert views.count() == 0
    assert gone not in store.run_ids()


@pytest.mark.timeout(60)
def test_run_whose_first_segment_is_damaged_keeps_its_name_and_status(store, monkeypatch):
    monkeypatch.setenv("RUNAR_SEGMENT_BYTES", "3000")
    run_id = new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(RunStarted(run_id=run_id, name="bert-base", argv=["train.py"]))
        for step in range(300):
            w.append(MetricsLogged(values={"loss": 1 / (step + 1)}, step=step))
            if step % 10 == 9:
                w.flush()
        w.append(RunFinished(status="failed", exit_code=1, error="ValueError: bad shape"))
    first, *rest = list_segments(store.run_dir(run_id))
    assert first.sealed and first.number == 1 and len(rest) > 2
    blob = first.path.read_bytes()
    frame = len(blob) if blob.find(ZSTD_MAGIC, 1) < 0 else blob.find(ZSTD_MAGIC, 1)
    first.path.write_bytes(bytes(frame) + blob[frame:])  # a bad sector reads as zeros
    rebuild(store)
    with open_views(store) as views:
        s = views.get(run_id)
        assert s.started is None and s.corrupt >= 1
        assert s.display_name == "bert-base" and views.status(s) == "failed"
        assert views.get("bert-base").run_id == run_id
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    for argv in (["show", run_id], ["ls"]):
        done = subprocess.run(
            [sys.executable, "-m", "runar", *argv], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        assert "bert-base" in done.stdout and "failed" in done.stdout
