"""writer.py under real storage trouble: never raise, report once, lose nothing readable."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from runar.events import MetricsLogged
from runar.journal import FlushPolicy, JournalWriter, read_run

RUN = "0123456789abcdef"


class Errors:
    """An on_error handler that remembers what it was told."""

    def __init__(self) -> None:
        self.seen: list[OSError] = []

    def __call__(self, exc: OSError) -> None:
        self.seen.append(exc)


def new_writer(run_dir: Path, errors: Errors) -> JournalWriter:
    policy = FlushPolicy(flush_interval_s=30, fsync_interval_s=0)
    return JournalWriter(run_dir, RUN, policy=policy, on_error=errors)


def log(w: JournalWriter, steps: range) -> None:
    for step in steps:
        w.append(MetricsLogged(values={"loss": step / 3, "acc": step / 7}, step=step))


def steps_of(run_dir: Path) -> list[int]:
    got = read_run(run_dir)
    assert got.corrupt == 0
    return sorted({e.step for e in got.events if isinstance(e, MetricsLogged)})


@pytest.mark.timeout(20)
def test_run_folder_replaced_by_a_file(tmp_path: Path) -> None:
    errors, run_dir = Errors(), tmp_path / "run"
    w = new_writer(run_dir, errors)
    log(w, range(10))
    w.flush(durable=True)
    kept = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    shutil.rmtree(run_dir)
    run_dir.write_text("in the way")
    log(w, range(10, 20))
    w.flush(durable=True)
    w.flush(durable=True)
    assert len(errors.seen) == 1  # once per episode, not once per flush
    run_dir.unlink()
    run_dir.mkdir()
    for name, data in kept.items():
        (run_dir / name).write_bytes(data)
    assert steps_of(run_dir) == list(range(10))
    w.close()  # the disk is back: what waited in memory is written now
    assert steps_of(run_dir) == list(range(20))


@pytest.mark.timeout(20)
def test_deleted_run_folder_is_noticed_and_rewritten(tmp_path: Path) -> None:
    errors, run_dir = Errors(), tmp_path / "run"
    w = JournalWriter(run_dir, RUN, policy=FlushPolicy(flush_interval_s=30), on_error=errors)
    log(w, range(5))
    w.flush()
    shutil.rmtree(run_dir)  # writes would go on into an unlinked file
    log(w, range(5, 10))
    w.close()
    assert [e.errno for e in errors.seen] == [errno.ENOENT]
    assert steps_of(run_dir) == list(range(10))


@pytest.mark.timeout(20)
def test_next_segment_name_taken_by_a_directory(tmp_path: Path) -> None:
    errors, run_dir = Errors(), tmp_path / "run"
    policy = FlushPolicy(flush_interval_s=30, segment_bytes=500)
    w = JournalWriter(run_dir, RUN, policy=policy, on_error=errors)
    (run_dir / f"{w.writer_id}.000002.jsonl").mkdir(parents=True)
    log(w, range(20))
    w.flush()  # rotates: segment 1 is sealed, segment 2 cannot be created
    log(w, range(20, 30))
    w.flush(durable=True)
    w.close()
    assert len(errors.seen) == 1
    assert steps_of(run_dir) == list(range(30))


def test_on_error_that_raises_does_not_reach_append(tmp_path: Path) -> None:
    def angry(exc: OSError) -> None:
        raise RuntimeError("handler bug")

    run_dir = tmp_path / "run"
    run_dir.write_text("not a folder")
    w = JournalWriter(run_dir, RUN, policy=FlushPolicy(max_buffered_events=2), on_error=angry)
    log(w, range(10))  # flushes from inside append(): must not raise
    w.close()


def test_unencodable_event_is_dropped_alone(tmp_path: Path) -> None:
    errors, run_dir = Errors(), tmp_path / "run"
    w = new_writer(run_dir, errors)
    log(w, range(3))
    w.append(MetricsLogged(values={"bad": object()}, step=99))  # type: ignore[dict-item]
    log(w, range(3, 6))
    w.close()
    assert w.dropped == 1 and len(errors.seen) == 1
    assert steps_of(run_dir) == list(range(6))


@pytest.fixture
def tiny_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A real 1 MiB tmpfs."""
    return mount_tmpfs("1m")


def fill(disk: Path) -> Path:
    """Take the rest of the space on ``disk``; the file to delete to free it."""
    filler = disk / "filler"
    with open(filler, "wb") as out, pytest.raises(OSError):
        out.write(b"\0" * (2 << 20))
    return filler


@pytest.mark.timeout(30)
def test_disk_full_then_freed_loses_nothing(tiny_disk: Path) -> None:
    errors, run_dir = Errors(), tiny_disk / "run"
    w = new_writer(run_dir, errors)
    log(w, range(100))
    w.flush(durable=True)
    filler = fill(tiny_disk)
    log(w, range(100, 3000))
    w.flush(durable=True)
    assert [e.errno for e in errors.seen] == [errno.ENOSPC]
    assert steps_of(run_dir)[:100] == list(range(100))  # written before stays readable
    os.unlink(filler)
    w.close()
    assert steps_of(run_dir) == list(range(3000))


@pytest.mark.timeout(30)
def test_disk_full_for_good_never_raises(tiny_disk: Path) -> None:
    errors, run_dir = Errors(), tiny_disk / "run"
    w = new_writer(run_dir, errors)
    log(w, range(30_000))  # ~2 MiB of lines into 1 MiB
    w.flush(durable=True)
    w.close()
    assert [e.errno for e in errors.seen] == [errno.ENOSPC]
    got = steps_of(run_dir)
    assert got == list(range(len(got)))  # a readable prefix, no holes


@pytest.mark.timeout(30)
def test_past_the_pending_limit_whole_blocks_are_dropped_from_the_end(
    tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runar.journal.segment_writer.PENDING_LIMIT_BYTES", 64 << 10)
    monkeypatch.setattr("runar.metric_columns.COLUMNS_MIN", 1 << 30)  # sizes as per-event lines
    errors, run_dir = Errors(), tiny_disk / "run"
    w = new_writer(run_dir, errors)
    log(w, range(100))
    w.flush(durable=True)
    filler = fill(tiny_disk)
    log(w, range(100, 5000))  # ~0.5 MiB encoded: most of it over the limit
    w.flush(durable=True)
    os.unlink(filler)
    w.close()
    steps = steps_of(run_dir)  # no block lost its trailer: nothing reads as damaged
    assert steps == list(range(len(steps)))  # a prefix: the newest blocks went first
    assert 100 < len(steps) < 5000 and len(steps) + w.dropped == 5000
