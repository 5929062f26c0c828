"""`runar tag/rename/note/set` in real processes, on runs written by the real JournalWriter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runar.journal.sync import sync
from runar.store import Store

from .helpers import S, write_run

HOUR = 3600 * S


def runar(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`runar ARGS` in a fresh interpreter on the store at ``root``."""
    return subprocess.run(
        [sys.executable, "-m", "runar", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RUNAR_DIR": str(root), "COLUMNS": "200"},
    )


def ok(root: Path, *args: str) -> str:
    done = runar(root, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed(root: Path, *args: str) -> dict[str, dict]:
    """`runar ls --json` records by run id."""
    return {r["id"]: r for r in json.loads(ok(root, "ls", "--json", "--limit", "0", *args))}


def shown(root: Path, ref: str) -> dict:
    return json.loads(ok(root, "show", ref, "--json"))


@pytest.fixture
def runs(store: Store) -> dict[str, str]:
    """Three finished runs from an hour ago, one of them tagged baseline."""
    past = time.time_ns() - HOUR
    return {
        "alpha": write_run(
            store, name="alpha", config={"lr": 0.001}, metrics=[{"acc": 0.95}],
            tags=["baseline"], start_ts=past,
        ),
        "beta": write_run(
            store, name="beta", config={"lr": 0.01}, metrics=[{"acc": 0.85}], start_ts=past + S
        ),
        "gamma": write_run(
            store, name="gamma", config={"lr": 0.0001}, metrics=[{"acc": 0.92}],
            start_ts=past + 2 * S,
        ),
    }  # fmt: skip


def test_tag_adds_and_removes_and_shows_in_ls_and_show(store: Store, runs: dict[str, str]) -> None:
    out = ok(store.root, "tag", "alpha", "beta", "+best", "-baseline")
    assert out.count("+best -baseline") == 2
    records = listed(store.root)
    assert records[runs["alpha"]]["tags"] == ["best"]
    assert records[runs["beta"]]["tags"] == ["best"]
    assert records[runs["gamma"]]["tags"] == []
    assert shown(store.root, "alpha")["tags"] == ["best"]


def test_an_edit_is_a_new_segment_of_an_edit_writer(store: Store, runs: dict[str, str]) -> None:
    before = sorted(p.name for p in store.run_dir(runs["alpha"]).iterdir())
    ok(store.root, "tag", "alpha", "+best")
    after = sorted(p.name for p in store.run_dir(runs["alpha"]).iterdir())
    assert set(before) < set(after)  # nothing rewritten, one file more
    (new,) = set(after) - set(before)
    assert new.startswith("edit")


def test_rename_note_and_set_show_in_show_and_replay(store: Store, runs: dict[str, str]) -> None:
    ok(store.root, "rename", "beta", "bravo")
    ok(store.root, "note", "bravo", "diverged after warmup")
    ok(store.root, "set", "bravo", "summary.f1=0.5", "summary.auc=0.75")
    record = shown(store.root, runs["beta"])
    assert record["name"] == "bravo"
    assert [n["text"] for n in record["notes"]] == ["diverged after warmup"]
    assert record["summary"] == {"f1": 0.5, "auc": 0.75}
    assert listed(store.root)[runs["beta"]]["name"] == "bravo"
    events = [json.loads(line) for line in ok(store.root, "replay", "bravo", "--json").splitlines()]
    edits = [e for e in events if e["type"] in ("run_renamed", "note", "summary")]
    assert [e["type"] for e in edits] == ["run_renamed", "note", "summary"]
    assert all(e["writer"].startswith("edit") for e in edits)


def test_edits_survive_reindex(store: Store, runs: dict[str, str]) -> None:
    ok(store.root, "tag", "gamma", "+keep")
    ok(store.root, "rename", "gamma", "gamma-2")
    ok(store.root, "note", "gamma-2", "worth keeping")
    ok(store.root, "reindex")
    record = shown(store.root, runs["gamma"])
    assert (record["name"], record["tags"]) == ("gamma-2", ["keep"])
    assert [n["text"] for n in record["notes"]] == ["worth keeping"]


def test_bulk_tag_by_query(store: Store, runs: dict[str, str]) -> None:
    out = ok(store.root, "tag", "--where", "acc>0.9", "+good")
    assert len(out.splitlines()) == 2
    tagged = {i for i, r in listed(store.root).items() if "good" in r["tags"]}
    assert tagged == {runs["alpha"], runs["gamma"]}
    assert set(listed(store.root, "--where", "tag:good")) == tagged


def test_bulk_tag_matching_nothing_changes_nothing(store: Store, runs: dict[str, str]) -> None:
    done = runar(store.root, "tag", "--where", "acc>2", "+good")
    assert done.returncode == 0 and "nothing changed" in done.stderr
    assert all("good" not in r["tags"] for r in listed(store.root).values())


def test_same_tag_on_two_stores_merges_into_one_after_sync(
    tmp_path: Path, store: Store, runs: dict[str, str]
) -> None:
    other = Store(tmp_path / "other" / ".runar").create()
    sync(store.root, other.root)
    ok(store.root, "tag", "alpha", "+best")
    ok(other.root, "tag", "alpha", "+best", "-baseline")
    sync(store.root, other.root)
    sync(other.root, store.root)
    for root in (store.root, other.root):
        assert shown(root, runs["alpha"])["tags"] == ["best"]
        assert len(listed(root)) == 3


def test_conflicting_renames_resolve_to_the_later_one_in_both_stores(
    tmp_path: Path, store: Store, runs: dict[str, str]
) -> None:
    other = Store(tmp_path / "other" / ".runar").create()
    sync(store.root, other.root)
    ok(store.root, "rename", "beta", "first")
    ok(other.root, "rename", "beta", "second")
    sync(store.root, other.root)
    sync(other.root, store.root)
    assert shown(store.root, runs["beta"])["name"] == "second"
    assert shown(other.root, runs["beta"])["name"] == "second"


def test_an_edit_beats_the_value_it_replaces_even_from_a_run_stamped_ahead(
    store: Store,
) -> None:
    ahead = time.time_ns() + HOUR  # a run recorded on a machine whose clock runs an hour fast
    write_run(store, name="fast-clock", tags=["baseline"], start_ts=ahead)
    ok(store.root, "tag", "fast-clock", "-baseline")
    ok(store.root, "rename", "fast-clock", "fixed")
    ok(store.root, "rename", "fixed", "fixed-again")  # the second edit follows the first
    assert (shown(store.root, "fixed-again")["tags"]) == []


def test_editing_a_run_that_is_still_writing(store: Store) -> None:
    run_id = write_run(store, name="live", status=None)
    ok(store.root, "tag", "live", "+watch")
    record = listed(store.root)[run_id]
    assert record["tags"] == ["watch"] and record["status"] in ("running", "crashed")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tag", "alpha", "best"], "'best' is not a tag change: write +best"),
        (["tag", "alpha", "+best", "good"], "'good' is not a tag change"),
        (["tag", "alpha"], "name the tags to change"),
        (["tag", "+best"], "name the runs to tag"),
        (["tag", "alpha", "+a", "-a"], "tag 'a' is both added and removed"),
        (["tag", "nosuchrun", "+best"], "no run matches 'nosuchrun'"),
        (["tag", "--where", "acc>>1", "+best"], "acc>"),
        (["set", "alpha", "summary.acc=high"], "'high' in 'summary.acc=high' is not a number"),
        (["set", "alpha", "lr=3"], "cannot set 'lr=3'; write summary.KEY=NUMBER"),
        (["rename", "alpha", " "], "a run name cannot be empty"),
        (["note", "nosuchrun", "text"], "no run matches 'nosuchrun'"),
    ],
)
def test_mistakes_are_one_line(
    store: Store, runs: dict[str, str], args: list[str], message: str
) -> None:
    done = runar(store.root, *args)
    assert done.returncode == 1
    assert message in done.stderr
    lines = done.stderr.strip().splitlines()
    if "invalid query at column" in lines[0]:  # a query error draws a caret under the token
        assert len(lines) == 3 and lines[2].strip() == "^", done.stderr
    else:
        assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
