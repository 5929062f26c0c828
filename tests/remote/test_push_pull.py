"""remote/push.py and remote/pull.py against a real S3 server: the union, each event once."""

from __future__ import annotations

import os
from pathlib import Path

import obstore

from runar.journal import read_run
from runar.projector import rebuild
from runar.remote.bucket import open_bucket
from runar.remote.pull import pull
from runar.remote.push import push
from runar.store import Store
from runar.views import open_views
from tests.remote.conftest import make_store, write_run


def events_per_run(store: Store) -> dict[str, int]:
    with open_views(store) as views:
        return {s.run_id: s.events for s in views.runs()}


def keys(url: str) -> set[str]:
    return {o.key for o in open_bucket(url).list()}


def test_push_then_pull_both_ways_gives_the_union(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    ra, rb = write_run(a, 30), write_run(b, 40)
    expected = {**events_per_run(a), **events_per_run(b)}
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    push(b, bucket)
    pull(a, bucket)
    pull(b, bucket)
    assert events_per_run(a) == events_per_run(b) == expected
    assert set(expected) == {ra, rb}
    for store in (a, b):
        run = read_run(store.run_dir(ra))
        assert len({(e.writer, e.seq) for e in run.events}) == len(run.events) == expected[ra]


def test_views_after_pull_equal_a_rebuild(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    for _ in range(3):
        write_run(a, 10)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    events_per_run(b)  # an index that exists before the pull: catch-up, not build
    pull(b, bucket)
    caught_up = events_per_run(b)
    rebuild(b)
    assert caught_up == events_per_run(b) == events_per_run(a)


def test_second_push_and_pull_move_nothing(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    write_run(a, 10)
    bucket = open_bucket(bucket_url)
    first = push(a, bucket)
    assert first.files_copied >= 1
    again = push(a, bucket)
    assert again.files_copied == 0 and again.files_same == first.files_copied
    pull(b, bucket)
    second = pull(b, bucket)
    assert second.files_copied == 0 and not second.conflicts


def test_a_conflicting_object_is_kept_aside_on_both_sides(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 5)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    art = b.run_dir(run_id) / "artifacts" / "notes.txt"
    art.parent.mkdir(parents=True)
    art.write_text("from b")
    mine = a.run_dir(run_id) / "artifacts" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("from a!")
    push(a, bucket)
    report = push(b, bucket)
    assert [c.path for c in report.conflicts] == [f"runs/{run_id}/artifacts/notes.txt"]
    remote = open_bucket(bucket_url)
    kept = report.conflicts[0].kept_as
    assert bytes(obstore.get(remote.store, kept).bytes()) == b"from b"
    assert bytes(obstore.get(remote.store, report.conflicts[0].path).bytes()) == b"from a!"
    pulled = pull(b, bucket)
    assert len(pulled.conflicts) == 1
    assert art.read_text() == "from b"
    assert (b.root / pulled.conflicts[0].kept_as).read_text() == "from a!"
    again = pull(b, bucket)  # remembered: reported again, fetched no more
    assert [c.kept_as for c in again.conflicts] == [pulled.conflicts[0].kept_as]
    assert again.files_copied == 0 and again.bytes_copied == 0


def test_open_segments_travel_as_live_tails_until_sealed(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 10, finish=False, close=False)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    assert any("/live/" in k for k in keys(bucket_url))
    pull(b, bucket)
    assert events_per_run(b)[run_id] == events_per_run(a)[run_id]
    plain = [p for p in os.listdir(b.run_dir(run_id)) if p.endswith(".jsonl")]
    assert plain
    sealed_run = write_run(a, 3, run_id=run_id, role="test2")
    assert sealed_run == run_id
    from runar.journal.segment import list_segments, seal

    for seg in list_segments(a.run_dir(run_id)):
        if not seg.sealed:
            seal(seg.path)
    push(a, bucket)
    pull(b, bucket)
    names = os.listdir(b.run_dir(run_id))
    assert not [n for n in names if n.endswith(".jsonl")]  # the pulled tail gave way
    assert events_per_run(b)[run_id] == events_per_run(a)[run_id]


def test_tombstoned_runs_are_not_pulled_and_everywhere_deletes(
    tmp_path: Path, bucket_url: str
) -> None:
    from runar.journal.sync import mark_deleted

    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    gone, kept = write_run(a, 5), write_run(a, 5)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    mark_deleted(a.root, gone)
    report = push(a, bucket)
    assert gone in report.runs_deleted
    assert f"deleted/{gone}" in keys(bucket_url)
    assert any(k.startswith(f"runs/{gone}/") for k in keys(bucket_url))  # nothing deleted
    pull(b, bucket)
    assert gone in b.tombstones()
    assert set(events_per_run(b)) == {kept}
    push(a, bucket, everywhere=True)
    assert not any(k.startswith(f"runs/{gone}/") for k in keys(bucket_url))
    assert f"deleted/{gone}" in keys(bucket_url)
