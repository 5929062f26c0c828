"""writer.py: seq numbers, the flush thread, fsync policy, sealing, fork."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runar.events import MetricsLogged, NoteAdded, RunRenamed, RunStarted, WriterOpened
from runar.journal import (
    FlushPolicy,
    JournalWriter,
    list_segments,
    read_run,
    read_segment,
    segment_writer,
)
from runar.journal.policy import FSYNC_INTERVAL_S
from runar.journal.seal_queue import SEAL_NICENESS

RUN = "0123456789abcdef"


def writer(run_dir: Path, **policy: float) -> JournalWriter:
    return JournalWriter(run_dir, RUN, policy=FlushPolicy(**policy))  # type: ignore[arg-type]


def plain_bytes(run_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(run_dir.glob("*.jsonl")))


def test_seqs_number_every_event_from_one(tmp_path: Path) -> None:
    with writer(tmp_path / "r") as w:
        for i in range(50):
            w.append(NoteAdded(text=str(i)))
        assert w.last_seq == 51  # the segment header comes first
    got = read_run(tmp_path / "r").events
    assert sorted(e.seq for e in got) == list(range(1, 52))  # + the segment header
    assert {e.writer for e in got} == {w.writer_id}
    assert isinstance(next(e for e in got if e.seq == 1), WriterOpened)


def test_append_keeps_a_given_timestamp(tmp_path: Path) -> None:
    with writer(tmp_path / "r") as w:
        w.append(NoteAdded(text="old", ts=123))
        w.append(NoteAdded(text="now"))
    got = {e.text: e.ts for e in read_run(tmp_path / "r").events if isinstance(e, NoteAdded)}
    assert got["old"] == 123 and got["now"] > time.time_ns() - 60 * 10**9


@pytest.mark.timeout(10)
def test_flush_thread_hands_data_to_the_os_within_the_interval(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", flush_interval_s=0.05)
    try:
        w.append(NoteAdded(text="soon"))
        deadline = time.monotonic() + 2.0
        while b"soon" not in plain_bytes(tmp_path / "r"):
            assert time.monotonic() < deadline, "not flushed by the background thread"
            time.sleep(0.01)
    finally:
        w.close()


@pytest.mark.timeout(10)
def test_nothing_reaches_the_os_before_the_interval(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", flush_interval_s=30)
    try:
        w.append(NoteAdded(text="later"))
        time.sleep(0.2)
        assert b"later" not in plain_bytes(tmp_path / "r")
        w.flush()
        assert b"later" in plain_bytes(tmp_path / "r")
    finally:
        w.close()


def count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def spy(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # segment files, not their folder
            calls.append(fd)
        real(fd)

    monkeypatch.setattr("runar.journal.segment_writer.os.fsync", spy)
    return calls


def test_fsync_waits_for_its_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_fsyncs(monkeypatch)
    w = writer(tmp_path / "r", flush_interval_s=30, fsync_interval_s=30)
    w.append(NoteAdded(text="a"))
    w.flush()
    assert calls == []
    w.flush(durable=True)
    assert len(calls) == 1
    w.close()


def test_fsync_interval_zero_syncs_every_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_fsyncs(monkeypatch)
    monkeypatch.setenv("RUNAR_FSYNC_INTERVAL", "0")
    monkeypatch.setenv("RUNAR_FLUSH_INTERVAL", "30")
    w = JournalWriter(tmp_path / "r", RUN)
    assert w.policy.fsync_interval_s == 0
    for i in range(3):
        w.append(NoteAdded(text=str(i)))
        w.flush()
    assert len(calls) == 3
    w.close()


@pytest.mark.parametrize(
    ("env", "value", "field", "expected"),
    [
        ("RUNAR_FLUSH_INTERVAL", "0.5", "flush_interval_s", 0.5),
        ("RUNAR_FSYNC_INTERVAL", "2", "fsync_interval_s", 2.0),
        ("RUNAR_FSYNC_INTERVAL", "soon", "fsync_interval_s", FSYNC_INTERVAL_S),
        ("RUNAR_FSYNC_INTERVAL", "-1", "fsync_interval_s", FSYNC_INTERVAL_S),
        ("RUNAR_SEGMENT_BYTES", "4096", "segment_bytes", 4096),
        ("RUNAR_MAX_BUFFERED", "10", "max_buffered_events", 10),
    ],
)
def test_policy_from_environment(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, field: str, expected: float
) -> None:
    monkeypatch.setenv(env, value)
    assert getattr(FlushPolicy.from_env(), field) == expected


def test_close_seals_and_removes_plain(tmp_path: Path) -> None:
    with writer(tmp_path / "r") as w:
        w.append(NoteAdded(text="x"))
    assert [p.name.endswith(".jsonl.zst") for p in (tmp_path / "r").iterdir()] == [True]
    assert len(read_run(tmp_path / "r").events) == 2


def test_segment_is_sealed_past_the_size_threshold(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30)
    for i in range(200):
        w.append(MetricsLogged(values={"loss": i / 7}, step=i))
        if i % 20 == 19:
            w.flush()
    w.close()
    segs = list_segments(tmp_path / "r")
    assert len(segs) > 3 and all(s.sealed for s in segs)
    got = read_run(tmp_path / "r")
    assert sorted(e.seq for e in got.events) == list(range(1, len(got.events) + 1))
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(200))


def test_seqs_run_in_file_order_across_segments(tmp_path: Path) -> None:
    # A kill -9 keeps a prefix of each segment's bytes: only when seqs rise in file
    # order (a new segment's header before the batch that opened it) is a loss a tail.
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30)
    for i in range(200):
        w.append(MetricsLogged(values={"loss": i / 7}, step=i))
        if i % 20 == 19:
            w.flush()
    w.close()
    in_file_order = [e.seq for s in list_segments(tmp_path / "r") for e in read_segment(s).events]
    assert in_file_order == list(range(1, len(in_file_order) + 1))


def test_segment_headers_carry_the_run_name_the_writer_last_wrote(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", segment_bytes=500, flush_interval_s=30)
    w.append(RunStarted(run_id=RUN, name="baseline"))
    for step, name in enumerate(["baseline", "baseline", "bert", "bert"]):
        if step == 2:
            w.append(RunRenamed(name="bert"))
        w.append(NoteAdded(text="x" * 600))  # one segment each
        w.flush()
        assert w.run_name == name
    w.close()
    headers = [e for e in read_run(tmp_path / "r").events if isinstance(e, WriterOpened)]
    assert [h.run_name for h in sorted(headers, key=lambda h: h.segment)] == [
        None,  # opened before the RunStarted it holds
        "baseline",
        "baseline",
        "bert",
    ]


def test_buffer_bound_makes_the_caller_flush(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", flush_interval_s=30, max_buffered_events=10)
    for i in range(10):
        w.append(NoteAdded(text=str(i)))
    assert b'"text":"9"' in plain_bytes(tmp_path / "r")
    w.close()


def test_append_after_close_is_written_not_lost(tmp_path: Path) -> None:
    w = writer(tmp_path / "r")
    w.append(NoteAdded(text="a"))
    w.close()
    w.append(NoteAdded(text="late"))
    texts = [e.text for e in read_run(tmp_path / "r").events if isinstance(e, NoteAdded)]
    assert texts == ["a", "late"]
    assert all(s.sealed for s in list_segments(tmp_path / "r"))


@pytest.mark.timeout(20)
def test_forked_child_never_writes_the_parent_buffer(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", flush_interval_s=30)
    w.append(NoteAdded(text="before-fork"))
    pid = os.fork()
    if pid == 0:  # child: an inherited writer must stay silent, even when used or closed
        try:
            w.append(NoteAdded(text="from-child"))
            w.flush(durable=True)
            w.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    w.close()
    got = read_run(tmp_path / "r")
    texts = [e.text for e in got.events if isinstance(e, NoteAdded)]
    assert texts == ["before-fork"]
    assert len(list_segments(tmp_path / "r")) == 1


def test_threads_appending_together_lose_nothing(tmp_path: Path) -> None:
    import threading

    w = writer(tmp_path / "r", flush_interval_s=0.01)

    def work(k: int) -> None:
        for i in range(2000):
            w.append(MetricsLogged(values={"t": float(k)}, step=i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    got = read_run(tmp_path / "r")
    assert got.corrupt == 0
    assert sorted(e.seq for e in got.events) == list(range(1, 8002))


def rotate_often(w: JournalWriter, steps: int = 200) -> None:
    """Log enough, flushing every 20 steps, for a 2000-byte segment to fill many times."""
    for i in range(steps):
        w.append(MetricsLogged(values={"loss": i / 7}, step=i))
        if i % 20 == 19:
            w.flush()


def test_full_segments_are_sealed_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, lock = segment_writer.seal, threading.Lock()
    busy, most = [0], [0]

    def slow_seal(path: Path) -> Path:
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.02)  # a seal lasts while later segments fill up
        try:
            return real(path)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(segment_writer, "seal", slow_seal)
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30, fsync_interval_s=0)
    rotate_often(w)
    while_logging = most[0]
    w.close()  # close seals what is left in its own thread too: not counted
    assert while_logging == 1
    assert all(s.sealed for s in list_segments(tmp_path / "r"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's nice is Linux's")
def test_full_segments_are_sealed_at_a_lower_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, priorities = segment_writer.seal, []

    def noting_seal(path: Path) -> Path:
        priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real(path)

    monkeypatch.setattr(segment_writer, "seal", noting_seal)
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30, fsync_interval_s=0)
    rotate_often(w)
    deadline = time.monotonic() + 10
    while w._files.sealing.busy and time.monotonic() < deadline:
        time.sleep(0.01)  # let the background sealer take the queue, not close()
    w.close()
    assert priorities
    assert set(priorities) == {min(19, ours + SEAL_NICENESS)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ours


def _short_writev(fd: int, parts: list[bytes | memoryview]) -> int:
    """The OS taking only half of the first buffer."""
    first = bytes(parts[0])
    return os.write(fd, first[: max(1, len(first) // 2)])


@pytest.mark.parametrize(
    ("name", "fake"),
    [("_writev", _short_writev), ("_HAS_WRITEV", False), ("_IOV_MAX", 3)],
    ids=["short writev", "no writev", "3 buffers per writev"],
)
def test_a_batch_reaches_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, fake: object
) -> None:
    monkeypatch.setattr(segment_writer, name, fake)
    w = writer(tmp_path / "r", flush_interval_s=30)
    for i in range(500):
        w.append(MetricsLogged(values={"loss": i / 7}, step=i))
    w.flush(durable=True)
    got = read_run(tmp_path / "r")  # the plain segment, as a live reader sees it
    w.close()
    assert got.corrupt == 0
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(500))


EXIT_WHILE_SEALING = """
import sys, time
from pathlib import Path
import runar.journal.segment_writer as segment_writer
from runar.events import MetricsLogged
from runar.journal import FlushPolicy, JournalWriter

real = segment_writer.seal
def slow_seal(path):
    time.sleep(0.2)  # the interpreter exits while the background thread is at work
    return real(path)
segment_writer.seal = slow_seal
policy = FlushPolicy(segment_bytes=2000, flush_interval_s=30, fsync_interval_s=0)
w = JournalWriter(Path(sys.argv[1]), "0123456789abcdef", policy=policy)
for i in range(200):
    w.append(MetricsLogged(values={"loss": i / 7}, step=i))
    if i % 20 == 19:
        w.flush()
"""  # no close(): the exit hook closes the writer


@pytest.mark.timeout(30)
def test_exit_while_segments_wait_to_be_sealed_seals_them_all(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    subprocess.run([sys.executable, "-c", EXIT_WHILE_SEALING, str(run_dir)], check=True)
    segs = list_segments(run_dir)
    assert len(segs) > 3 and all(s.sealed for s in segs)
    assert not list(run_dir.glob("*.tmp"))
    got = read_run(run_dir)
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(200))


def test_full_segments_are_fsynced_with_the_next_fsync_not_when_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runar.metric_columns.COLUMNS_MIN", 1 << 30)  # sizes as per-event lines
    calls = count_fsyncs(monkeypatch)
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30, fsync_interval_s=30)
    rotate_often(w, steps=100)  # five full segments
    assert calls == [] and w._files.retired == 5
    assert not list((tmp_path / "r").glob("*.zst"))  # a segment is sealed once durable
    w.flush(durable=True)
    assert len(calls) == 5 and w._files.retired == 0  # each full one (the next opens on demand)
    w.close()
    got = read_run(tmp_path / "r")
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(100))
    assert all(s.sealed for s in list_segments(tmp_path / "r"))


def test_full_segments_awaiting_fsync_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runar.metric_columns.COLUMNS_MIN", 1 << 30)  # sizes as per-event lines
    calls = count_fsyncs(monkeypatch)
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30, fsync_interval_s=30)
    rotate_often(w, steps=20 * segment_writer.RETIRED_LIMIT)
    assert calls == [] and w._files.retired == segment_writer.RETIRED_LIMIT
    rotate_often(w, steps=20)  # one more full segment: they are all synced now
    assert len(calls) >= segment_writer.RETIRED_LIMIT + 1 and w._files.retired == 0
    w.close()


def test_a_full_segment_deleted_before_its_fsync_is_written_again(tmp_path: Path) -> None:
    w = writer(tmp_path / "r", segment_bytes=2000, flush_interval_s=30, fsync_interval_s=30)
    rotate_often(w, steps=60)  # three full segments, none synced
    first = min((tmp_path / "r").glob("*.jsonl"))
    first.unlink()
    w.flush(durable=True)  # notices, and writes what was not durable into a new segment
    w.close()
    got = read_run(tmp_path / "r")
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(60))
