"""segment_writer.py: bytes into segment files, and what a failing disk does to them."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from runar.events import MetricsLogged
from runar.journal import FlushPolicy, JournalWriter, list_segments, read_run, segment_writer
from runar.journal.segment_writer import SegmentWriter

WRITER = "w-test"


class Files:
    """A SegmentWriter whose segments start with a header line naming their number."""

    def __init__(self, run_dir: Path) -> None:
        self.errors: list[OSError] = []
        self.opened = 0
        policy = FlushPolicy(flush_interval_s=30, fsync_interval_s=30)
        self.files = SegmentWriter(run_dir, WRITER, policy, self.open_segment, self.errors.append)

    def open_segment(self) -> None:
        self.opened += 1
        number = self.files.create()
        self.files.write([f"H{number}\n".encode()])


def segment_bytes(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run_dir.glob("*.jsonl"))}


def test_a_failed_fsync_is_not_trusted_its_bytes_go_whole_into_a_new_segment(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "r"
    f = Files(run_dir)
    f.files.add([b"a\n"])
    f.files.flush(writable=True, durable=True)
    f.files.add([b"b\n", b"c\n"])
    f.files.flush(writable=True, durable=False)  # written, not yet fsynced
    (first,) = run_dir.glob("*.jsonl")
    first.unlink()  # its fsync cannot make "b" and "c" durable
    f.files.flush(writable=True, durable=True)
    assert [e.errno for e in f.errors] == [errno.ENOENT]
    # "a" was durable before and is not written again; the new segment has its own header
    assert list(segment_bytes(run_dir).values()) == [b"H2\nb\nc\n"]
    f.files.seal_active()
    assert [s.sealed for s in list_segments(run_dir)] == [True]


def test_a_failing_disk_is_retried_after_its_interval_or_when_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segment_writer, "RETRY_INTERVAL_S", 0.2)
    run_dir = tmp_path / "r"
    run_dir.write_text("in the way")
    f = Files(run_dir)
    f.files.add([b"a\n"])
    f.files.flush(writable=f.files.writable(durable=False), durable=False)
    assert f.opened == 1 and len(f.errors) == 1
    f.files.flush(writable=f.files.writable(durable=False), durable=False)
    assert f.opened == 1  # not on every flush
    f.files.flush(writable=f.files.writable(durable=True), durable=True)
    assert f.opened == 2 and len(f.errors) == 1  # once per episode
    time.sleep(0.25)
    run_dir.unlink()
    f.files.flush(writable=f.files.writable(durable=False), durable=True)
    assert f.opened == 3
    assert list(segment_bytes(run_dir).values()) == [b"H1\na\n"]
    f.files.seal_active()


class CountingWriter(JournalWriter):
    """Counts segment openings, as HttpWriter checks its run folder before each."""

    opened = 0

    def _open_segment(self) -> None:
        self.opened += 1
        super()._open_segment()


def test_every_segment_is_opened_through_the_journal_writers_hook(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    policy = FlushPolicy(segment_bytes=2000, flush_interval_s=30, fsync_interval_s=30)
    w = CountingWriter(run_dir, "0123456789abcdef", policy=policy)
    for i in range(100):
        w.append(MetricsLogged(values={"loss": i / 7}, step=i))
        if i % 20 == 19:
            w.flush()  # a full segment now and then: the next one opens from inside
    min(run_dir.glob("*.jsonl")).unlink()  # its fsync fails: a rewrite opens one more
    w.close()
    got = read_run(run_dir)
    assert [e.step for e in got.events if isinstance(e, MetricsLogged)] == list(range(100))
    assert w.opened == len(list_segments(run_dir)) + 1  # the deleted one
