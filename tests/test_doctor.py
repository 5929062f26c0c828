"""doctor.py on real stores: it finds each kind of trouble, and --fix never loses an event."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from runar.cli.share import register
from runar.codec import encode_line
from runar.doctor import check, fix
from runar.events import AnyEvent, MetricsLogged, RunFinished, RunStarted, WriterOpened
from runar.ids import new_run_id, new_writer_id
from runar.journal import JournalWriter, list_segments, read_run
from runar.journal.segment import compress_frames
from runar.projector import catch_up
from runar.store import Store

AN_HOUR_AGO = time.time() - 3600


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def segment_lines(run_id: str, writer: str, pid: int, steps: int, finish: bool) -> list[bytes]:
    events: list[AnyEvent] = [
        WriterOpened(run_id=run_id, role="sdk", host=socket.gethostname(), pid=pid, segment=1),
        RunStarted(run_id=run_id),
        *(MetricsLogged(values={"loss": 1.0 / (s + 1)}, step=s) for s in range(steps)),
    ]
    if finish:
        events.append(RunFinished(status="completed", exit_code=0))
    for seq, event in enumerate(events, start=1):
        event.writer, event.seq, event.ts = writer, seq, 1_700_000_000_000_000_000 + seq
    return [encode_line(e) for e in events]


def hand_written_run(
    store: Store, steps: int = 10, pid: int | None = None, finish: bool = False
) -> tuple[str, Path]:
    """A run whose one plain segment was left by a process that is gone, an hour ago."""
    run_id, writer = new_run_id(), new_writer_id("sdk")
    lines = segment_lines(run_id, writer, pid or dead_pid(), steps, finish)
    plain = store.run_dir(run_id) / f"{writer}.000001.jsonl"
    plain.parent.mkdir(parents=True)
    plain.write_bytes(b"".join(lines))
    os.utime(plain, (AN_HOUR_AGO, AN_HOUR_AGO))
    return run_id, plain


def finished_run(store: Store) -> str:
    run_id = new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id) as w:
        w.append(RunStarted(run_id=run_id))
        w.append(MetricsLogged(values={"loss": 0.5}, step=0))
        w.append(RunFinished(status="completed", exit_code=0))
    return run_id


def ids(run_dir: Path) -> list[tuple[str, int]]:
    return sorted((e.writer, e.seq) for e in read_run(run_dir).events)


def test_a_sound_store_is_healthy(store: Store) -> None:
    finished_run(store)
    catch_up(store)
    report = check(store)
    assert report.healthy and (report.runs, report.segments_sealed, report.events) == (1, 1, 4)


def test_damaged_records_are_counted_per_run(store: Store) -> None:
    run_id, plain = hand_written_run(store, finish=True)
    data = bytearray(plain.read_bytes())
    data[200] ^= 0x20
    plain.write_bytes(bytes(data))
    assert check(store).damaged == {run_id: 1}


def test_stale_index_is_reported_and_fixed(store: Store) -> None:
    finished_run(store)
    catch_up(store)
    finished_run(store)
    assert check(store).index_stale
    report = fix(store)
    assert not report.index_stale and "brought the index up to date" in report.fixed


def test_interrupted_seal_leftover_is_removed_when_the_plain_file_has_it_all(
    store: Store,
) -> None:
    run_id, plain = hand_written_run(store, finish=True)
    tmp = plain.with_name(plain.name + ".zst.tmp")
    tmp.write_bytes(compress_frames(plain.read_bytes()))
    os.utime(tmp, (AN_HOUR_AGO, AN_HOUR_AGO))
    before = ids(store.run_dir(run_id))
    assert [(o.kind, o.fixable) for o in check(store).orphans if o.kind == "tmp"] == [("tmp", True)]
    fix(store)
    assert not tmp.exists() and ids(store.run_dir(run_id)) == before


def test_tmp_holding_events_found_nowhere_else_is_kept(store: Store) -> None:
    _, plain = hand_written_run(store)
    tmp = plain.with_name(plain.name + ".zst.tmp")
    tmp.write_bytes(compress_frames(plain.read_bytes()))
    plain.unlink()
    os.utime(tmp, (AN_HOUR_AGO, AN_HOUR_AGO))
    fix(store)
    assert tmp.exists()


def test_plain_twin_is_removed_only_when_the_sealed_copy_holds_every_event(
    store: Store,
) -> None:
    run_id, plain = hand_written_run(store, finish=True)
    lines = plain.read_bytes().splitlines(keepends=True)
    sealed = plain.with_name(plain.name + ".zst")
    sealed.write_bytes(compress_frames(b"".join(lines[:-1])))  # the sealed copy lacks one
    assert [o.fixable for o in check(store).orphans] == [False]
    fix(store)
    assert plain.exists()
    sealed.write_bytes(compress_frames(b"".join(lines)))
    before = ids(store.run_dir(run_id))
    fix(store)
    assert not plain.exists() and ids(store.run_dir(run_id)) == before


def test_dead_writers_plain_segment_is_sealed_without_its_torn_tail(store: Store) -> None:
    run_id, plain = hand_written_run(store)
    with open(plain, "ab") as out:
        out.write(b'{"type":"metrics","val')  # the kill landed mid-line
    os.utime(plain, (AN_HOUR_AGO, AN_HOUR_AGO))
    before = ids(store.run_dir(run_id))
    report = fix(store)
    assert any(d.startswith("sealed") for d in report.fixed)
    assert [s.sealed for s in list_segments(store.run_dir(run_id))] == [True]
    assert ids(store.run_dir(run_id)) == before and read_run(store.run_dir(run_id)).corrupt == 0


def test_a_live_writers_segment_is_left_alone(store: Store) -> None:
    _, plain = hand_written_run(store, pid=os.getpid())
    fix(store)
    assert plain.exists()


def test_crashed_runs_are_named(store: Store) -> None:
    crashed, _ = hand_written_run(store)
    finished_run(store)
    assert check(store).crashed == [crashed]


def test_unknown_files_are_reported_never_removed(store: Store) -> None:
    run_id = finished_run(store)
    stray = store.run_dir(run_id) / "notes.txt"
    stray.write_text("mine")
    (store.runs_dir / "not-a-run").mkdir()
    report = fix(store)
    kinds = {(o.path, o.kind) for o in report.orphans}
    assert kinds == {("runs/not-a-run", "unknown"), (f"runs/{run_id}/notes.txt", "unknown")}
    assert stray.read_text() == "mine"


def test_a_runs_code_snapshot_is_no_orphan_but_a_symlink_inside_it_is(
    store: Store, tmp_path: Path
) -> None:
    from runar.runner.code_snapshot import keep

    run_id = finished_run(store)
    script = tmp_path / "train.py"
    script.write_text("print(1)\n")
    keep(store.code_dir(run_id), None, [sys.executable, str(script)])
    catch_up(store)
    assert check(store).healthy
    (store.code_dir(run_id) / "files" / "link.py").symlink_to(script)
    kinds = {(o.path, o.kind) for o in check(store).orphans}
    assert kinds == {(f"runs/{run_id}/code/files/link.py", "symlink")}


@pytest.mark.timeout(60)
def test_cli_doctor_exits_1_when_unhealthy_and_fix_repairs(store: Store) -> None:
    app = typer.Typer()
    register(app)
    cli = CliRunner()
    finished_run(store)
    sick = cli.invoke(app, ["doctor", "--json"])
    assert sick.exit_code == 1 and json.loads(sick.stdout)["index_stale"] is True
    fixed = cli.invoke(app, ["doctor", "--fix"])
    assert fixed.exit_code == 0 and "fixed: brought the index up to date" in fixed.stdout
    assert "ok: every event is readable" in cli.invoke(app, ["doctor"]).stdout
