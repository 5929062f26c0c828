"""The dashboard follows what other runar processes do to the store: every CLI command
catches up the index itself, so the server cannot rely on its own catch-ups' reports."""

from __future__ import annotations

import json
import shutil
import time

from runar.web.store_access import StoreAccess
from tests.cli.helpers import write_run
from tests.web.client import EventStream, get_json
from tests.web.conftest import fill
from tests.web.write_helpers import runar_cli


def test_runar_rm_of_a_shown_run_reaches_the_open_page_and_the_list(served):
    alpha = served.runs["alpha"]
    events = EventStream(served.base)
    try:
        events.next_block()  # the position
        runar_cli(served.store, "rm", "--yes", "alpha")  # its catch-up forgets the run
        deadline = time.monotonic() + 15
        removed: list[str] = []
        while alpha not in removed:
            assert time.monotonic() < deadline, "the page never heard of the deletion"
            block = events.next_event("runs")
            removed += json.loads(block.data)["removed"]
    finally:
        events.close()
    listed = get_json(served.base, "/api/runs")
    assert alpha not in [r["id"] for r in listed["runs"]] and listed["total"] == 2


def test_a_run_another_process_folded_is_still_reported(store):
    fill(store)
    access = StoreAccess(store)
    access.all_rows()
    late = write_run(store, name="late", metrics=[{"loss": 0.5}])
    runar_cli(store, "ls")  # folds `late` first: the server's own catch-up finds nothing new
    delta = access.catch_up()
    assert [r["id"] for r in delta.changed] == [late] and delta.removed == []
    assert access.catch_up().changed == []  # said once


def test_runar_rm_is_reported_as_removed(store):
    runs = fill(store)
    access = StoreAccess(store)
    access.all_rows()
    runar_cli(store, "rm", "--yes", "beta")
    assert access.catch_up().removed == [runs["beta"]]


def test_a_deleted_and_rebuilt_index_reports_every_run(store):
    runs = fill(store)
    access = StoreAccess(store)
    access.all_rows()
    shutil.rmtree(store.index_dir)
    late = write_run(store, name="late")
    runar_cli(store, "reindex")
    delta = access.catch_up()
    assert sorted(r["id"] for r in delta.changed) == sorted([*runs.values(), late])
    assert delta.removed == []
