"""The write API sees what other writers did to a run after it first looked: a move to
another project (`runar set RUN project=`), a runner's end, a deletion."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from runar.events import RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter, edits
from runar.store import Store
from tests.web.write_helpers import writable_server


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("write-facts") / ".runar").create()
    with writable_server(store) as served:
        yield served


def new_run(writable, token: str, project: str) -> str:
    with writable.client(token) as c:
        reply = c.post("/api/runs", json={"name": "r", "project": project})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def note(writable, token: str, run_id: str) -> int:
    with writable.client(token) as c:
        return c.post(f"/api/runs/{run_id}/notes", json={"text": "x"}).status_code


def test_a_run_moved_out_of_the_tokens_project_is_refused(writable):
    run_id = new_run(writable, writable.vision, "vision")
    assert note(writable, writable.vision, run_id) == 200  # the server now knows the run
    edits.move_runs(writable.store, {run_id: time.time_ns()}, "nlp")
    assert note(writable, writable.vision, run_id) == 403


def test_a_run_moved_into_the_tokens_project_is_accepted(writable):
    run_id = new_run(writable, writable.write, "nlp")
    assert note(writable, writable.vision, run_id) == 403
    edits.move_runs(writable.store, {run_id: time.time_ns()}, "vision")
    assert note(writable, writable.vision, run_id) == 200


def test_a_run_another_writer_finished_takes_no_more_metrics(writable):
    run_id = new_run(writable, writable.write, "nlp")
    with writable.client() as c:
        assert c.post(f"/api/runs/{run_id}/metrics", json={"values": {"a": 1}}).status_code == 200
        with JournalWriter(writable.store.run_dir(run_id), run_id, role="runner") as runner:
            runner.append(RunFinished(status="completed", exit_code=0))
        reply = c.post(f"/api/runs/{run_id}/metrics", json={"values": {"a": 2}})
    assert reply.status_code == 409, reply.text


def test_a_deleted_run_is_404_and_not_written_again(writable):
    run_id = new_run(writable, writable.write, "nlp")
    writable.api.writers.close("ci", run_id)
    shutil.rmtree(writable.store.run_dir(run_id))
    assert note(writable, writable.write, run_id) == 404
    assert not writable.store.run_dir(run_id).exists()


def test_concurrent_finishes_of_a_run_the_server_had_not_read_yet_finish_it_once(writable):
    for _ in range(5):  # the race needs the requests to overlap the first read of the log
        run_id = new_run_id()
        with JournalWriter(writable.store.run_dir(run_id), run_id, role="sdk") as sdk:
            sdk.append(RunStarted(run_id=run_id, name="elsewhere"))

        def finish(_: int, run_id: str = run_id) -> int:
            with writable.client() as c:
                return c.post(f"/api/runs/{run_id}/finish", json={}).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = sorted(pool.map(finish, range(8)))
        assert codes == [200] + [409] * 7
        ends = [e for e in writable.events(run_id) if isinstance(e, RunFinished)]
        assert len(ends) == 1
