"""journal/sync.py on real stores: the union of two stores, each event once, nothing overwritten."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from runar.cli.share import register
from runar.errors import StoreError
from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import FlushPolicy, JournalWriter, list_segments, read_run
from runar.journal.sync import find_store_root, mark_deleted, sync
from runar.projector import catch_up
from runar.store import Store
from runar.views import open_views


def make_store(path: Path) -> Store:
    return Store(path / ".runar").create()


def write_run(store: Store, steps: int = 20, finish: bool = True, run_id: str | None = None) -> str:
    run_id = run_id or new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id, role="test") as w:
        w.append(RunStarted(run_id=run_id, name=f"run-{run_id[:4]}"))
        for step in range(steps):
            w.append(MetricsLogged(values={"loss": 1 / (step + 1)}, step=step))
        if finish:
            w.append(RunFinished(status="completed", exit_code=0))
    return run_id


def events_per_run(store: Store) -> dict[str, int]:
    with open_views(store) as views:
        return {s.run_id: s.events for s in views.runs()}


def test_both_directions_give_the_union_with_each_event_once(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    ra, rb = write_run(a, 30), write_run(b, 40)
    expected = {**events_per_run(a), **events_per_run(b)}
    sync(a.root, b.root)
    sync(b.root, a.root)
    assert events_per_run(a) == events_per_run(b) == expected
    assert set(expected) == {ra, rb}


def test_second_sync_copies_nothing(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a)
    first = sync(a.root, b.root)
    again = sync(a.root, b.root)
    assert first.files_copied == 1 and first.bytes_copied > 0
    assert (again.files_copied, again.bytes_copied, again.files_same) == (0, 0, 1)


def test_a_runs_code_snapshot_is_copied_once_and_then_left_alone(tmp_path: Path) -> None:
    from runar.runner.code_snapshot import keep

    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    script = tmp_path / "train.py"
    script.write_text("print(1)\n")
    keep(a.code_dir(run_id), None, [sys.executable, str(script)])
    first = sync(a.root, b.root)
    again = sync(a.root, b.root)
    assert (b.code_dir(run_id) / "files" / "train.py").read_text() == "print(1)\n"
    assert first.files_copied == 3 and not first.conflicts
    assert (again.files_copied, again.files_same, again.conflicts) == (0, 3, [])


def test_parent_folder_names_the_store_and_missing_destination_is_created(tmp_path: Path) -> None:
    a = make_store(tmp_path / "a")
    write_run(a)
    sync(tmp_path / "a", tmp_path / "new")
    assert Store(tmp_path / "new" / ".runar").run_ids() == a.run_ids()


def test_a_folder_without_a_store_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="holds no runar store"):
        find_store_root(tmp_path)


def test_same_store_twice_is_refused(tmp_path: Path) -> None:
    a = make_store(tmp_path / "a")
    with pytest.raises(StoreError, match="both source and destination"):
        sync(a.root, tmp_path / "a")


@pytest.mark.parametrize("inside", ["runs/foo", "cache/x"])
def test_a_store_inside_the_other_is_refused_and_nothing_is_written(
    tmp_path: Path, inside: str
) -> None:
    a = make_store(tmp_path / "a")
    write_run(a)
    before = sorted(p.relative_to(a.root) for p in a.root.rglob("*"))
    with pytest.raises(StoreError, match="are nested"):
        sync(a.root, a.root / inside)  # used to create runs/foo/.runar/…: a bogus run folder
    assert sorted(p.relative_to(a.root) for p in a.root.rglob("*")) == before


def test_sealed_conflict_keeps_ours_and_sets_theirs_aside(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    sync(a.root, b.root)
    before = events_per_run(b)
    seg = list_segments(a.run_dir(run_id))[0].path
    ours = (b.run_dir(run_id) / seg.name).read_bytes()
    seg.write_bytes(seg.read_bytes()[:-7] + b"garbage")  # same name, other bytes
    report = sync(a.root, b.root)
    assert [c.path for c in report.conflicts] == [f"runs/{run_id}/{seg.name}"]
    assert (b.run_dir(run_id) / seg.name).read_bytes() == ours
    assert (b.root / report.conflicts[0].kept_as).read_bytes() == seg.read_bytes()
    assert events_per_run(b) == before  # readers never look into conflicts/


def test_conflicting_artifact_is_kept_aside_too(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    (a.artifacts_dir(run_id)).mkdir()
    (a.artifacts_dir(run_id) / "model.txt").write_text("theirs")
    b.artifacts_dir(run_id).mkdir(parents=True)
    (b.artifacts_dir(run_id) / "model.txt").write_text("ours")
    report = sync(a.root, b.root)
    assert (b.artifacts_dir(run_id) / "model.txt").read_text() == "ours"
    assert (b.root / report.conflicts[0].kept_as).read_text() == "theirs"


def active_run(store: Store) -> tuple[str, JournalWriter]:
    run_id = new_run_id()
    w = JournalWriter(store.run_dir(run_id), run_id, policy=FlushPolicy(flush_interval_s=30))
    w.append(RunStarted(run_id=run_id))
    return run_id, w


def test_grown_active_segment_is_extended(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id, w = active_run(a)
    w.flush()
    sync(a.root, b.root)
    for step in range(10):
        w.append(MetricsLogged(values={"x": step}, step=step))
    w.flush()
    report = sync(a.root, b.root)
    assert report.files_grown == 1 and not report.conflicts
    assert len(read_run(b.run_dir(run_id)).events) == 12  # writer header, start, 10 metrics
    w.close()
    sync(a.root, b.root)  # now sealed: the sealed copy wins, each event still once
    assert len(read_run(b.run_dir(run_id)).events) == 12


def test_destination_ahead_of_source_is_left_alone(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id, w = active_run(a)
    w.flush()
    shutil.copytree(a.runs_dir, b.runs_dir, dirs_exist_ok=True)
    w.append(MetricsLogged(values={"x": 1.0}, step=1))
    w.flush()
    report = sync(b.root, a.root)  # b holds the shorter copy
    assert report.files_grown == report.files_copied == 0 and not report.conflicts
    assert len(read_run(a.run_dir(run_id)).events) == 3
    w.close()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a)
    report = sync(a.root, b.root, dry_run=True)
    assert report.files_copied == 1 and report.runs_new == a.run_ids()
    assert b.run_ids() == []


def test_index_folder_is_never_copied(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a)
    catch_up(a)
    sync(a.root, b.root)
    assert not (b.root / "index").exists()


def test_removed_run_comes_back_from_a_peer_unless_marked_deleted(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    sync(a.root, b.root)
    shutil.rmtree(b.run_dir(run_id))
    sync(a.root, b.root)
    assert b.run_ids() == [run_id], "a plain delete is undone by the next copy from a peer"
    shutil.rmtree(b.run_dir(run_id))
    mark_deleted(b.root, run_id)
    report = sync(a.root, b.root)
    assert b.run_ids() == [] and report.runs_deleted == [run_id]
    sync(b.root, a.root)  # the tombstone travels, so the peer stops offering it too
    assert (a.root / "deleted" / run_id).exists()


def test_symlinks_in_the_source_are_not_followed(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    a.artifacts_dir(run_id).mkdir()
    (a.artifacts_dir(run_id) / "leak.txt").symlink_to(secret)
    (a.runs_dir / new_run_id()).symlink_to(tmp_path, target_is_directory=True)
    report = sync(a.root, b.root)
    assert len(report.refused) == 2
    assert not (b.artifacts_dir(run_id) / "leak.txt").exists()
    assert b.run_ids() == [run_id]


def test_symlinked_destination_run_folder_is_not_written_through(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    outside = tmp_path / "outside"
    outside.mkdir()
    b.run_dir(run_id).symlink_to(outside, target_is_directory=True)
    report = sync(a.root, b.root)
    assert report.refused and list(outside.iterdir()) == []


def test_leftover_tmp_files_are_ignored_by_readers_and_sync(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a)
    seg = list_segments(a.run_dir(run_id))[0].path
    half = seg.read_bytes()[:100]
    (a.run_dir(run_id) / f"{seg.name}.sync-1.tmp").write_bytes(half)
    b.run_dir(run_id).mkdir(parents=True)
    (b.run_dir(run_id) / f"{seg.name}.sync-2.tmp").write_bytes(half)
    report = sync(a.root, b.root)
    assert report.files_copied == 1
    assert read_run(b.run_dir(run_id)).corrupt == 0
    assert not (b.run_dir(run_id) / f"{seg.name}.sync-1.tmp").exists()


SYNC_SCRIPT = "import sys; from runar.journal.sync import sync; sync(sys.argv[1], sys.argv[2])"


@pytest.mark.timeout(60)
def test_killed_sync_never_leaves_a_partial_file_under_a_real_name(tmp_path: Path) -> None:
    a = make_store(tmp_path / "a")
    run_id = write_run(a)
    a.artifacts_dir(run_id).mkdir()
    big = os.urandom(1 << 20) * 24
    for n in range(3):
        (a.artifacts_dir(run_id) / f"weights{n}.bin").write_bytes(big)
    dest = tmp_path / "b"
    child = subprocess.Popen([sys.executable, "-c", SYNC_SCRIPT, str(a.root), str(dest)])
    while not (dest / ".runar" / "runs" / run_id / "artifacts").exists():
        time.sleep(0.005)
    time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    landed = dest / ".runar" / "runs" / run_id / "artifacts"
    for path in landed.iterdir():
        assert path.name.endswith(".tmp") or path.read_bytes() == big
    sync(a.root, dest)
    assert all((landed / f"weights{n}.bin").read_bytes() == big for n in range(3))


def test_copied_foreign_index_is_detected_and_rebuilt(tmp_path: Path) -> None:
    a = make_store(tmp_path / "a")
    write_run(a)
    expected = events_per_run(a)  # builds a's index
    shutil.copytree(a.root, tmp_path / "b" / ".runar")
    b = Store(tmp_path / "b" / ".runar")
    write_run(b)  # b differs from the index it received
    got = events_per_run(b)
    assert len(got) == 2 and all(got[r] == n for r, n in expected.items())


def test_cli_sync_reports_as_json_and_text(tmp_path: Path) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a)
    app = typer.Typer()
    register(app)
    cli = CliRunner()
    dry = cli.invoke(app, ["sync", str(a.root), str(b.root), "--dry-run"])
    assert dry.exit_code == 0 and "would copy 1 file(s)" in dry.stdout
    done = cli.invoke(app, ["sync", str(a.root), str(b.root), "--json"])
    assert json.loads(done.stdout)["files_copied"] == 1


def test_a_store_holding_a_tombstoned_run_is_healthy_for_doctor(tmp_path: Path) -> None:
    from runar import doctor

    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    gone = write_run(a)
    write_run(a)
    sync(a.root, b.root)
    mark_deleted(a.root, gone)
    assert sync(a.root, b.root).tombstones_copied == 1  # b keeps the folder, now hidden
    assert gone in b.tombstones() and b.run_dir(gone).is_dir()
    doctor.fix(b)
    report = doctor.check(b)  # was: "1 run(s) differ from the log" forever, exit code 1
    assert report.healthy and report.runs == 1, report
