"""This process's share of its runs: the active stack, the runs it owns, its writers.

Every ``Run`` object of the process shares these, under one lock. Each process appends
through a JournalWriter of its own, one per run folder: after ``fork`` the child keeps
the stack but opens new writers lazily, and takes a new lock (a parent thread may have
held the old one at the fork). Storage trouble warns once; training goes on.
"""

from __future__ import annotations

import _thread  # not threading: its import pulls in collections and functools
import os
import sys

from runar.sdk.environment import role

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from runar.journal import JournalWriter
    from runar.sdk.run import Run

lock = _thread.RLock()  # guards the active stack, the writer cache and run start/finish
active: list[Run] = []  # innermost last: module-level functions write to active[-1]
owned: dict[str, int] = {}  # run id → pid of the process that started it
writers: dict[Path, JournalWriter] = {}  # this process's writer for each run folder
_warned = False


def warn(message: str) -> None:
    """Say once on stderr that recording has trouble; training goes on."""
    global _warned
    if _warned:
        return
    _warned = True
    try:  # noqa: SIM105 - contextlib adds 10 ms to `import runar`
        sys.stderr.write(f"runar: {message}; training continues, some records may be lost\n")
    except Exception:
        pass  # a closed stderr must not turn a warning into a crash


def _on_storage_error(exc: OSError) -> None:
    warn(f"cannot write the run log ({exc.strerror or exc})")


def writer_for(run_dir: Path, run_id: str) -> JournalWriter:
    """This process's writer for a run folder, opened on first use."""
    from runar.journal import JournalWriter

    with lock:
        writer = writers.get(run_dir)
        if writer is None:
            writer = JournalWriter(run_dir, run_id, role=role(), on_error=_on_storage_error)
            writers[run_dir] = writer
            _close_in_multiprocessing_child(writer)
        return writer


def _close_in_multiprocessing_child(writer: JournalWriter) -> None:
    """A forked multiprocessing child ends with os._exit, skipping atexit; finalize instead."""
    mp = sys.modules.get("multiprocessing")
    if mp is None or mp.parent_process() is None:
        return
    import multiprocessing.util

    multiprocessing.util.Finalize(None, writer.close, exitpriority=10)


def active_run() -> Run | None:
    """The run module-level functions write to, if one is active."""
    return active[-1] if active else None


def _forget_after_fork() -> None:
    """In a forked child: the parent's writers are the parent's; open new ones lazily."""
    global lock
    lock = _thread.RLock()
    writers.clear()
    for run in active:
        run._writer = None


os.register_at_fork(after_in_child=_forget_after_fork)
