"""One `runar SCRIPT` run from start to finish: record, launch, sample, summarize.

The runner records what only it can know — provenance, raw output, resource use and
how the child ended — through its own journal writer. The child's SDK writes into
the same run folder with a writer of its own; the runner never touches those files.

The child starts as early as it can: once the run id, the project and the header are
known (git's first round answers them; no msgspec yet). The journal, the snapshot
and RunStarted follow on a thread of their own while the child runs (run_log.py).
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runar.ids import host_name, is_run_id, new_run_id, short
from runar.projects import default_project
from runar.redact import redact_argv
from runar.runner import header, provenance
from runar.runner.capture import OutputTail
from runar.runner.launch import ChildExit, Launch, start_child, wait_group_default, wants_pty
from runar.runner.recording import RecordingHealth
from runar.runner.request import (
    ENV_JOB_RUN_ID,
    ENV_SWEEP_RUN_ID,
    RunRequest,
    child_environment,
    sweep_fields,
)
from runar.runner.run_log import RunLog, live_upload, say
from runar.runner.sampler import Sampler
from runar.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from runar.events import AnyEvent, GitState, RunFinished, RunStarted, Stream
    from runar.runner.git_snapshot import SnapshotJob
    from runar.runner.git_state import GitCapture, GitHead

EXIT_CANNOT_EXECUTE: Final = 126
EXIT_NOT_FOUND: Final = 127


def _run_started(request: RunRequest, run_id: str) -> Callable[[GitCapture | None], RunStarted]:
    """Everything RunStarted records but the git state, gathered now; adds git when called."""
    from runar.events import RunStarted

    cwd, host, user = os.getcwd(), host_name(), provenance.user_name()
    executable = provenance.resolve_executable(request.command)
    platform = provenance.platform_string()
    env = provenance.redact_env({**os.environ, **request.env_variables})
    packages = (
        provenance.installed_packages() if request.env_packages is None else request.env_packages
    )
    sweep = sweep_fields()

    def started(git: GitCapture | None) -> RunStarted:
        return RunStarted(
            run_id=run_id,
            name=request.name,
            source="runner",
            argv=redact_argv(request.argv),  # the record only: the child gets the real values
            command=redact_argv(request.command),
            cwd=cwd,
            host=host,
            pid=os.getpid(),
            user=user,
            python=request.env_python or provenance.python_version(),
            executable=executable,
            platform=platform,
            git=git.state if git is not None else None,
            env=env,
            packages=packages,
            parse_output=request.parse_output,
            rerun_of=request.rerun_of,
            project=request.project,
            **sweep,
            rerun_set=request.rerun_set,
        )

    return started


def _opening_events(request: RunRequest) -> list[AnyEvent]:
    """What follows RunStarted: runar's -t tags and --note."""
    from runar.events import NoteAdded, TagsChanged

    events: list[AnyEvent] = []
    if request.tags:
        events.append(TagsChanged(added=list(dict.fromkeys(request.tags))))
    if request.note:
        events.append(NoteAdded(text=request.note))
    return events


def _code_keeper(
    request: RunRequest, store: Store, run_id: str
) -> Callable[[GitCapture | None], list[str]]:
    """What writes the run's code folder: a snapshot of the tree, or a rerun's recorded code."""

    def keep(git: GitCapture | None) -> list[str]:
        if request.rerun_code is None:
            from runar.runner import code_snapshot

            return code_snapshot.keep(store.code_dir(run_id), git, request.command)
        from runar.runner.checkout import keep_code_of

        return keep_code_of(request.rerun_code[1], store.code_dir(run_id))

    return keep


def finished_event(result: ChildExit, stderr_tail: str = "") -> RunFinished:
    """How the run ended, from how the child ended and the end of what it said on stderr."""
    from runar.events import RunFinished

    if result.exit_code == 0:
        return RunFinished(status="completed", exit_code=0)
    from runar.runner.failure import extract_failure

    if result.signal is None and result.forwarded is not None:  # it obeyed a signal we passed on
        return RunFinished(status="killed", exit_code=result.exit_code, signal=result.forwarded)
    if result.signal is not None:
        # a kill explains itself; a traceback still says where (Ctrl-C's KeyboardInterrupt)
        why = None if result.forwarded else extract_failure(stderr_tail, traceback_only=True)
        end = RunFinished(status="killed", signal=result.signal)
    else:
        why = extract_failure(stderr_tail)
        end = RunFinished(status="failed", exit_code=result.exit_code)
    if why is not None:
        end.error, end.error_type, end.traceback = why.error, why.error_type, why.traceback
    return end


def _artifacts(log: RunLog) -> list[tuple[str, int]]:
    """Artifacts the script attached, read back from the run's log."""
    if not log.others_wrote():
        return []  # the script wrote no events: no need to read (and decompress) the log
    from runar.events import ArtifactAttached
    from runar.journal import read_run

    try:
        events = read_run(log.store.run_dir(log.run_id)).events
    except OSError:
        return []
    found = {e.name: e.size for e in events if isinstance(e, ArtifactAttached)}
    return list(found.items())


def _git_head(request: RunRequest, cwd: Path) -> GitHead | None:
    """git's first round for the run's folder: the probe the CLI started, else a new one."""
    from runar.runner.git_state import read_probe, start_probe

    probe = request.git_probe
    if probe is not None and probe.cwd != cwd:
        read_probe(probe, sort=False)  # reaped, not used: it looked at another folder
        probe = None
    return read_probe(probe or start_probe(cwd))


def execute(request: RunRequest, store: Store | None = None) -> int:
    """Run the request as a new recorded run; the shell exit code to exit with."""
    store = store or Store.discover()
    health = RecordingHealth(store)
    health.check(store)  # a store that cannot be written costs the record, not the run
    say(health.start_lines())
    chosen = os.environ.get(ENV_SWEEP_RUN_ID, "")  # a sweep names its points' runs up front
    chosen = chosen or os.environ.get(ENV_JOB_RUN_ID, "")  # so does a multi-node job
    run_id = chosen if is_run_id(chosen) and not store.run_dir(chosen).exists() else new_run_id()
    cwd = Path.cwd()
    head: GitHead | None = None
    snapshot: SnapshotJob | None = None
    recorded: GitState | None = None
    if request.rerun_code is None:
        head = _git_head(request, cwd)
        repo_root = str(head.root) if head is not None else None
        if head is not None:
            from runar.runner.git_snapshot import start_snapshot

            snapshot = start_snapshot(head, run_id)  # its `git add` runs while the child starts
    else:
        recorded = request.rerun_code[0]
        repo_root = recorded.root if recorded is not None else None
    request.project = default_project(store.root, request.project, repo_root, cwd)
    uploader = live_upload(store, run_id, request.remote)  # says why not before the header
    colour = header.use_colour(sys.stderr)
    top = header.Header(
        title=request.title,
        short_id=short(run_id),
        git=head if head is not None else recorded,
        python=request.env_python or provenance.python_version(),
        args=redact_argv(request.argv)[1:],
        snapshot_skipped=tuple(head.skipped) if head is not None else (),
    )
    say(header.header_lines(top, colour))
    log = RunLog(
        store,
        run_id,
        health,
        started=lambda: _run_started(request, run_id),
        opening=lambda: _opening_events(request),
        keep_code=_code_keeper(request, store, run_id),
        uploader=uploader,
    )
    tail = OutputTail()

    def sink(stream: Stream, data: bytes) -> None:
        log.output(stream, data)
        if stream == "stderr":
            tail.add(data)

    sampler = Sampler(log.sample, adopter=os.getpid())
    use_pty = wants_pty(1)
    environment = child_environment(
        store, run_id, request.import_paths, request.project, use_pty, request.name
    )
    job = Launch(
        command=request.command,
        env={**environment, **request.env_variables},
        cwd=cwd,
        sink=sink,
        use_pty=use_pty,
        stderr_pty=wants_pty(2),
        wait_group=wait_group_default(),
        on_start=sampler.start,
        on_tick=log.tick,
        on_orphans=lambda: say([header.WAITING_FOR_GROUP]),
    )
    started = time.monotonic()
    try:
        child = start_child(job)
    except OSError as exc:
        log.open(head, snapshot, _rerun_capture(recorded))
        return _cannot_start(request, log, exc)
    log.open(head, snapshot, _rerun_capture(recorded))  # while the child starts
    stop_live = request.live(store, run_id) if request.live is not None else None
    try:
        result = child.wait()
    finally:
        sampler.stop()
        try:
            log.wait_open()
            _flush_on_sigterm()
        finally:
            log.close_output()
            if stop_live is not None:
                log.flush()  # the last output lines, so the final check sees them
                stop_live((log.printed and request.parse_output) or log.others_wrote())
    elapsed = time.monotonic() - started
    end = finished_event(result, tail.text())
    log.append(end)
    say(log.close())
    say(
        header.footer_lines(result, elapsed, _artifacts(log), colour, reason=end.error)
        + health.footer_lines()
    )
    from runar.runner.option_hint import hint_for_run

    hint = hint_for_run(request.argv, request.command, result.exit_code, tail.text() or None)
    say([hint] if hint else [])  # e.g. 'runar train.py -n x' where argparse rejected -n
    return result.shell_code


def _flush_on_sigterm() -> None:
    """The log opened on a thread, which cannot take SIGTERM: take it now, on the main one.

    Until the child exited the handoff forwarded SIGTERM to it; from here a SIGTERM to
    runar flushes the run's last events before runar dies of it.
    """
    from runar.journal.process_hooks import take_sigterm

    take_sigterm()


def _rerun_capture(recorded: GitState | None) -> GitCapture | None:
    """A rerun's recorded git state, as this run's (no new snapshot)."""
    if recorded is None:
        return None
    from runar.runner.git_state import GitCapture

    return GitCapture(recorded)


def _cannot_start(request: RunRequest, log: RunLog, exc: OSError) -> int:
    """Record a command that could not be started as failed; the shell exit code."""
    from runar.events import RunFinished

    code = EXIT_NOT_FOUND if exc.errno == errno.ENOENT else EXIT_CANNOT_EXECUTE
    reason = f"cannot run {request.command[0]!r}: {exc.strerror}"
    try:
        log.wait_open()
    finally:
        log.append(RunFinished(status="failed", exit_code=code, error=reason))
        say([f"runar: {reason}"])
        say(log.close())
    return code
