"""The runner's side of a run's log, opened while the child is already starting.

`runar SCRIPT` starts the script first and loads the journal (msgspec, the writer),
takes the git snapshot and writes RunStarted on a thread of its own meanwhile. Output
read before that is held in memory (stamped when written, like any batch) and goes to
the log right after RunStarted, so the runner's segment still begins with the run's
start. A kill -9 of the runner in that window (tens of ms, under the writer's flush
interval) loses no more than the flush window would.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from typing import TYPE_CHECKING

from runar.store import CODE_DIRNAME, Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from runar.events import AnyEvent, RunStarted, Stream, SystemSampled
    from runar.journal import JournalWriter
    from runar.remote.live import LiveUploader
    from runar.runner.capture import OutputRecorder
    from runar.runner.git_snapshot import SnapshotJob
    from runar.runner.git_state import GitCapture, GitHead
    from runar.runner.recording import RecordingHealth


def say(lines: list[str]) -> None:
    """Lines on stderr; a closed stderr must not stop the run from being recorded."""
    try:
        sys.stderr.write("".join(f"{line}\n" for line in lines))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class RunLog:
    """The runner's journal writer for one run, made ready by a thread of its own.

    Args:
        started: gathers what RunStarted records (on the thread, while git works); the
            function it returns makes the event once the git state is known
        opening: the run's other first events (tags, a note), written right after it
        keep_code: writes the run's code folder once RunStarted is on disk; its lines
            (what the snapshot left out) are printed
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        health: RecordingHealth,
        started: Callable[[], Callable[[GitCapture | None], RunStarted]],
        opening: Callable[[], list[AnyEvent]],
        keep_code: Callable[[GitCapture | None], list[str]],
        uploader: LiveUploader | None = None,
    ) -> None:
        self.store, self.run_id, self.health = store, run_id, health
        self._started, self._opening, self._keep_code = started, opening, keep_code
        self.writer: JournalWriter | None = None
        self.uploader = uploader  # `--remote`: finished once the segment is sealed
        self.git: GitCapture | None = None
        self.printed = False  # the child wrote something on stdout or stderr
        self._pending: list[tuple[Stream, bytes]] = []  # output read before RunStarted
        self._recorder: OutputRecorder | None = None
        self._ready = threading.Event()  # RunStarted is queued: output may follow it
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    # -- the setup thread ---------------------------------------------------------
    def open(
        self,
        head: GitHead | None,
        snapshot: SnapshotJob | None = None,
        git: GitCapture | None = None,
    ) -> None:
        """Start opening the log: finish ``snapshot`` of ``head`` (or take ``git`` as it is)
        and write RunStarted."""
        self._thread = threading.Thread(
            target=self._open, args=(head, snapshot, git), name="runar-open", daemon=True
        )
        self._thread.start()

    def _open(self, head: GitHead | None, job: SnapshotJob | None, git: GitCapture | None) -> None:
        try:
            snapshot = _Snapshot(job) if job is not None else None  # git works meanwhile
            from runar.journal import JournalWriter

            writer = JournalWriter(
                self.store.run_dir(self.run_id),
                self.run_id,
                role="runner",
                on_error=self.health.on_error,
            )
            self.writer = writer
            started = self._started()  # all RunStarted records but git, while git works
            if head is not None:
                from runar.runner.git_state import git_capture

                git = git_capture(head, snapshot.commit() if snapshot is not None else None)
            self.git = git
            writer.append(started(git))
            for event in self._opening():
                writer.append(event)
            self._ready.set()
            writer.flush()  # the run is on disk before its code: a kill never leaves code alone
            if snapshot is not None and git is not None:
                git.patch = snapshot.patch()
            say(self._keep_code(git))
        except BaseException as exc:  # re-raised by the main thread once the child ended
            self._failure = exc
        finally:
            self._ready.set()
            # runar's modules are loaded: they live as long as the process, so no cycle
            # collection need walk them; collect again for a run that may last days
            gc.freeze()
            gc.enable()

    def wait_open(self) -> JournalWriter | None:
        """Wait until the log is open and the code kept; the writer (None if opening failed)."""
        if self._thread is not None:
            self._thread.join()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return self.writer

    # -- the main thread: output -------------------------------------------------
    def output(self, stream: Stream, data: bytes) -> None:
        """A chunk the child wrote; held until RunStarted is written."""
        self.printed = True
        if self._recorder is None and not self._attach():
            self._pending.append((stream, data))
            return
        assert self._recorder is not None
        self._recorder.add(stream, data)

    def tick(self) -> None:
        """Called by the launch loop: emit output that waited long enough."""
        if self._recorder is not None or self._attach():
            assert self._recorder is not None
            self._recorder.tick()

    def _attach(self) -> bool:
        """Once RunStarted is queued, send the held output after it; False until then."""
        if not self._ready.is_set() or self.writer is None:
            return False
        from runar.runner.capture import OutputRecorder

        self._recorder = OutputRecorder(self.writer.append)
        for stream, data in self._pending:
            self._recorder.add(stream, data)
        self._pending.clear()
        return True

    def close_output(self) -> None:
        """Emit the output still held (the log must be open: call wait_open() first)."""
        if self._recorder is not None or self._attach():
            assert self._recorder is not None
            self._recorder.close()

    # -- any thread ----------------------------------------------------------------
    def sample(self, event: SystemSampled) -> None:
        """The sampler's figures (its own thread), after RunStarted."""
        self._ready.wait()
        if self.writer is not None:
            self.writer.append(event)

    def append(self, event: AnyEvent) -> None:
        if self.writer is not None:
            self.writer.append(event)

    def flush(self) -> None:
        """Hand what is queued to the OS, so a reader of the run's folder sees it."""
        if self.writer is not None:
            self.writer.flush()

    def others_wrote(self) -> bool:
        """Whether another writer (the script's SDK) has segments in the run."""
        if self.writer is None:
            return False
        own = self.writer.writer_id
        try:
            names = os.listdir(self.store.run_dir(self.run_id))
        except OSError:
            return False
        return any(not n.startswith(own) and n != CODE_DIRNAME for n in names)

    def close(self) -> list[str]:
        """Seal the runner's segment and let the uploader finish; lines to print."""
        if self.writer is not None:
            self.writer.close()
        if self.uploader is not None:
            return self.uploader.finish()  # waits a bounded time; `runar push` does the rest
        return []


class _Snapshot:
    """The git snapshot finished on a thread of its own: its commit first, then its patch."""

    def __init__(self, job: SnapshotJob) -> None:
        self.job = job
        self._commit: str | None = None
        self._patch: bytes | None = None
        self._committed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="runar-snapshot", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from runar.runner.git_snapshot import finish_snapshot, snapshot_patch

        try:
            self._commit = finish_snapshot(self.job)
        finally:
            self._committed.set()
            self._patch = snapshot_patch(self.job)

    def commit(self) -> str | None:
        """The snapshot commit, once made (RunStarted needs it; the patch may still be made)."""
        self._committed.wait()
        return self._commit

    def patch(self) -> bytes | None:
        """The patch from the commit's base to the snapshot, once made."""
        self._thread.join()
        return self._patch


def live_upload(store: Store, run_id: str, remote: str | None) -> LiveUploader | None:
    """The background uploader of `--remote` (obstore loads only then); None without one."""
    if not remote:
        return None
    from runar.remote.live import start_live_upload

    return start_live_upload(store, run_id, remote, lambda line: say([line]))
