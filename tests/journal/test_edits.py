"""Edit events: what the user types, and what lands in the run's log."""

from __future__ import annotations

import time

import pytest

from runar.errors import InvalidValue, UsageError
from runar.events import RunRenamed, RunStarted, TagsChanged
from runar.journal import JournalWriter, read_run
from runar.journal.edits import (
    TagChanges,
    parse_project_assignment,
    parse_summary_assignment,
    parse_tag_changes,
    rename_run,
    tag_runs,
)
from runar.store import Store


def test_tag_changes_keep_order_and_drop_repeats() -> None:
    changes = parse_tag_changes(["+best", "-baseline", "+best", "+v2"])
    assert changes == TagChanges(added=("best", "v2"), removed=("baseline",))
    assert changes.describe() == "+best +v2 -baseline"


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (["best"], "'best' is not a tag change"),
        (["+"], r"'\+' is not a tag change"),
        (["+a b"], "contains spaces"),
        (["+a\x1b"], "control characters"),
        (["+x", "-x"], "both added and removed"),
    ],
)
def test_bad_tag_changes(tokens: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_tag_changes(tokens)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("summary.acc=0.91", ("acc", 0.91)),
        ("summary.val/loss=1e-3", ("val/loss", 0.001)),
        ("summary.n=3", ("n", 3.0)),
        ("summary.best=inf", ("best", float("inf"))),
    ],
)
def test_summary_assignments(text: str, expected: tuple[str, float]) -> None:
    assert parse_summary_assignment(text) == expected


@pytest.mark.parametrize(
    "text", ["acc=0.9", "summary.=1", "summary.acc", "summary.acc=", "summary.acc=high"]
)
def test_bad_summary_assignments(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_summary_assignment(text)


def test_edits_append_after_the_runs_own_events(store: Store) -> None:
    run_id = "editme"
    ahead = time.time_ns() + 3600 * 1_000_000_000
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(RunStarted(run_id=run_id, name="old", source="runner", ts=ahead))
    tag_runs(store, {run_id: ahead}, TagChanges(added=("best",)))
    rename_run(store, {run_id: ahead + 1}, "new")
    events = read_run(store.run_dir(run_id)).events
    edits = [e for e in events if isinstance(e, TagsChanged | RunRenamed)]
    assert [type(e) for e in edits] == [TagsChanged, RunRenamed]
    assert [e.ts for e in edits] == [ahead + 1, ahead + 2]
    assert all(e.writer.startswith("edit") for e in edits)
    assert len({e.writer for e in edits}) == 2  # one writer, one segment per edit


@pytest.mark.parametrize(
    "edit",
    [
        lambda store, runs: rename_run(store, runs, "n" * 257),
        lambda store, runs: tag_runs(store, runs, parse_tag_changes(["+" + "t" * 257])),
        lambda store, runs: parse_project_assignment("project=" + "p" * 257),
    ],
)
def test_an_over_long_name_tag_or_project_is_refused_and_nothing_written(
    store: Store, edit
) -> None:
    run_id = "0" * 16
    with JournalWriter(store.run_dir(run_id), run_id, role="test") as writer:
        writer.append(RunStarted(run_id=run_id, name="r"))
    before = read_run(store.run_dir(run_id)).events
    with pytest.raises((InvalidValue, UsageError), match="keep it to 256"):
        edit(store, {run_id: time.time_ns()})
    assert read_run(store.run_dir(run_id)).events == before
