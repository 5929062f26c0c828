"""fork and multiprocessing: every process writes its own segments into the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from runar.events import MetricsLogged, RunFinished, RunStarted, WriterOpened
from runar.store import Store

from .helpers import events_of, of_type, only_run, run_script

pytestmark = pytest.mark.timeout(120)

WORKERS = 3
LOGS_PER_WORKER = 50


def assert_every_worker_logged(store: Store, run_id: str) -> None:
    events = events_of(store, run_id)
    metrics = of_type(events, MetricsLogged)
    seen = {(int(m.values["worker"]), m.step) for m in metrics if "worker" in m.values}
    assert seen == {(w, s) for w in range(WORKERS) for s in range(LOGS_PER_WORKER)}
    writers = {m.writer for m in metrics}
    assert len(writers) == WORKERS + 1  # each worker has its own writer, plus the parent
    assert len(of_type(events, RunStarted)) == 1
    assert [f.status for f in of_type(events, RunFinished)] == ["completed"]


def test_raw_fork_children_log_into_the_run(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        f"""
        import os
        import runar
        runar.log({{"parent": 1.0}})
        pids = []
        for worker in range({WORKERS}):
            pid = os.fork()
            if pid == 0:
                for i in range({LOGS_PER_WORKER}):
                    runar.log({{"worker": worker}}, step=i)
                runar.finish()
                os._exit(0)
            pids.append(pid)
        for pid in pids:
            assert os.waitpid(pid, 0)[1] == 0
        """,
    )
    assert done.returncode == 0, done.stderr
    assert_every_worker_logged(store, only_run(store))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_workers_log_into_the_run(
    store: Store, tmp_path: Path, method: str
) -> None:
    done = run_script(
        store,
        tmp_path,
        f"""
        import multiprocessing as mp
        import runar

        def work(worker):
            for i in range({LOGS_PER_WORKER}):
                runar.log({{"worker": worker}}, step=i)

        if __name__ == "__main__":
            runar.log({{"parent": 1.0}})
            ctx = mp.get_context("{method}")
            procs = [ctx.Process(target=work, args=(w,)) for w in range({WORKERS})]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
                assert p.exitcode == 0
        """,
    )
    assert done.returncode == 0, done.stderr
    assert_every_worker_logged(store, only_run(store))


def test_threads_share_the_run_without_losing_events(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import threading
        import runar
        def work(n):
            for i in range(1000):
                runar.log({f"t{n}": float(i)})
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        """,
    )
    assert done.returncode == 0, done.stderr
    events = events_of(store, only_run(store))
    assert len(of_type(events, MetricsLogged)) == 4000
    assert len({w.writer for w in of_type(events, WriterOpened)}) == 1
