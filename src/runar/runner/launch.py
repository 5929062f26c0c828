"""Spawn the child, copy its output to the terminal unchanged, forward signals, reap it.

Each of the child's streams is what runar's own is: a pty where runar's stdout (or
stderr) is a terminal, so the script keeps its colours and progress bars (tqdm draws
on stderr only when stderr is a tty), and a pipe otherwise. Two ptys rather than one
keep stdout and stderr apart, so stderr is recorded as stderr in a terminal too.

The child runs in its own process group: SIGINT/SIGTERM/SIGHUP sent to runar go to the
whole group (data-loader workers included), and when runar owns the terminal the
child's group is made the foreground one, so Ctrl-C and keyboard input reach the
script directly. When the direct child exits, runar by default keeps recording until
every process of that group is gone (`bash -c 'python train.py &'`); the exit code
stays the direct child's. RUNAR_WAIT_GROUP=0 stops at the direct child instead.
On Linux runar becomes a child subreaper, so such orphans are its own to reap. The
ptys, the terminal hand-off and the forwarded signals are in handoff.py.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runar.records import Record
from runar.runner.handoff import Forwarder, Terminal, copy_window_size, open_stream

if TYPE_CHECKING:  # runar.events (msgspec) loads after the child has started
    from runar.events import Stream

READ_BYTES: Final = 64 << 10
TICK_S: Final = 0.05  # how often the loop checks the child and calls on_tick
DRAIN_GRACE_S: Final = 0.5  # a grandchild may hold the output open after the child exits
ENV_WAIT_GROUP: Final = "RUNAR_WAIT_GROUP"
ORPHANS_NOTICE_S: Final = 1.0  # data-loader workers take a moment to exit: no notice for them
_PR_SET_CHILD_SUBREAPER: Final = 36

OutputSink = Callable[["Stream", bytes], None]


class ChildExit(Record):
    """How the child ended: an exit code, or the signal that killed it."""

    __slots__ = ("exit_code", "forwarded", "signal")

    def __init__(
        self,
        exit_code: int | None,
        signal: int | None,
        forwarded: int | None = None,  # the last signal runar passed on, if any
    ) -> None:
        self.exit_code, self.signal, self.forwarded = exit_code, signal, forwarded

    @property
    def shell_code(self) -> int:
        """What a shell reports: the exit code, or 128 + the signal number."""
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code if self.exit_code is not None else 1


class Launch(Record):
    """What to run and where its output goes."""

    __slots__ = (
        "command",
        "cwd",
        "env",
        "on_orphans",
        "on_start",
        "on_tick",
        "sink",
        "stderr_pty",
        "use_pty",
        "wait_group",
    )  # fmt: skip

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        cwd: Path,
        sink: OutputSink,
        use_pty: bool,  # for the child's stdout
        stderr_pty: bool = False,
        wait_group: bool = True,
        on_start: Callable[[int], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        on_orphans: Callable[[], None] | None = None,  # the child exited, its group lives on
    ) -> None:
        self.command, self.env, self.cwd, self.sink = command, env, cwd, sink
        self.use_pty, self.stderr_pty, self.wait_group = use_pty, stderr_pty, wait_group
        self.on_start, self.on_tick, self.on_orphans = on_start, on_tick, on_orphans


def wants_pty(fd: int = 1) -> bool:
    """A pty only where our own ``fd`` is a terminal, as the user would see it."""
    return sys.platform != "win32" and os.isatty(fd)


def wait_group_default() -> bool:
    """Wait for the child's whole process group unless RUNAR_WAIT_GROUP is 0/false/no."""
    return os.environ.get(ENV_WAIT_GROUP, "1").strip().lower() not in {"0", "false", "no", "off"}


def _become_subreaper() -> bool:
    """Orphaned descendants become ours (Linux), so we can reap them and see them go."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def group_alive(pgid: int) -> bool:
    """Whether any process (a zombie included) is left in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone is there, we just may not signal it
    return True


def _reap_group(pgid: int) -> None:
    """Reap the group's orphans that were handed to us; never blocks."""
    while True:
        try:
            pid, _ = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _spawn(job: Launch, stdout: int, stderr: int) -> subprocess.Popen[bytes]:
    group: dict[str, object] = (
        {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    )
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        job.command, cwd=job.cwd, env=job.env, stdout=stdout, stderr=stderr, **group
    )


def _write_all(fd: int, data: bytes) -> bool:
    """Echo to the terminal; False once the reader is gone (e.g. `| head`)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except (BrokenPipeError, OSError):
        return False
    return True


class RunningChild:
    """A started child: its output is copied and its signals forwarded once wait() runs.

    Until then the output waits in its pipes or ptys (the child never waits for runar
    unless it fills them), and a signal to runar is already passed on to its group.
    """

    def __init__(self, job: Launch) -> None:
        self.job = job
        self._forwarder = Forwarder()
        self._terminal = Terminal()
        self._forwarder.install()
        self._winch: object = None
        if job.wait_group:
            _become_subreaper()
        ours: list[int] = []
        try:
            # the pty's window size comes from whichever of our streams is a terminal
            self._size_from = 1 if job.use_pty else 2
            theirs: list[int] = []
            try:
                out_r, out_w = open_stream(job.use_pty, self._size_from)
                ours.append(out_r)
                theirs.append(out_w)
                err_r, err_w = open_stream(job.stderr_pty, self._size_from)
                ours.append(err_r)
                theirs.append(err_w)
                self.proc = _spawn(job, out_w, err_w)
            finally:
                for fd in theirs:
                    os.close(fd)
            self._sources: dict[int, tuple[Stream, int]] = {
                out_r: ("stdout", 1),
                err_r: ("stderr", 2),
            }
            self._ptys = [fd for fd, tty in ((out_r, job.use_pty), (err_r, job.stderr_pty)) if tty]
            if self._ptys:
                self._winch = signal.signal(signal.SIGWINCH, self._resize)
            self._terminal.give(self.proc.pid)
            self._forwarder.attach(self.proc.pid)
        except BaseException:
            for fd in ours:
                os.close(fd)
            self._release()
            raise
        if job.on_start is not None:
            job.on_start(self.proc.pid)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _resize(self, *_: object) -> None:
        for fd in self._ptys:
            copy_window_size(fd, self._size_from)

    def _release(self) -> None:
        self._terminal.take_back()
        self._forwarder.restore()
        if self._winch is not None:
            signal.signal(signal.SIGWINCH, self._winch)  # type: ignore[arg-type]
            self._winch = None

    def wait(self) -> ChildExit:
        """Copy output until the child (and by default its group) is gone; how it ended."""
        try:
            code = _pump(self.proc, self._sources, self.job, self._forwarder, self._terminal)
        finally:
            self._release()
        forwarded = self._forwarder.last
        if code < 0:
            return ChildExit(exit_code=None, signal=-code, forwarded=forwarded)
        return ChildExit(exit_code=code, signal=None, forwarded=forwarded)


def start_child(job: Launch) -> RunningChild:
    """Start the command; OSError when it cannot be started. Then call wait()."""
    return RunningChild(job)


def run_child(job: Launch) -> ChildExit:
    """Run the command to completion and report how it ended."""
    return start_child(job).wait()


def _exit_watch(pid: int) -> int | None:
    """A descriptor that becomes readable when the child exits (Linux pidfd), if available."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


def _pump(
    proc: subprocess.Popen[bytes],
    sources: dict[int, tuple[Stream, int]],
    job: Launch,
    forwarder: Forwarder,
    terminal: Terminal,
) -> int:
    """Copy output until the child (and by default its group) is gone; its return code.

    Output still open after that (a process that left the group) gets DRAIN_GRACE_S.
    """
    selector = selectors.DefaultSelector()
    for fd in sources:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    # the child's exit wakes the loop at once, instead of at the next tick after its output ends
    exit_fd = _exit_watch(proc.pid)
    if exit_fd is not None:
        selector.register(exit_fd, selectors.EVENT_READ)
    echo = {1: True, 2: True}
    code: int | None = None
    exited_at = 0.0
    done_at: float | None = None
    noticed = False
    try:
        while True:
            if selector.get_map():
                _copy_ready(selector, sources, echo, job)
            else:
                time.sleep(TICK_S)
            if job.on_tick is not None:
                job.on_tick()
            if code is None:
                code = proc.poll()
                if code is None:
                    continue
                exited_at = time.monotonic()
                if exit_fd is not None:  # readable from now on: it would wake every select
                    selector.unregister(exit_fd)
                    os.close(exit_fd)
                    exit_fd = None
                # from now on Ctrl-C must reach runar, which asks the leftovers to stop
                terminal.take_back()
                forwarder.orphans = True
            if done_at is None:
                if job.wait_group:
                    _reap_group(proc.pid)
                if not job.wait_group or not group_alive(proc.pid):
                    done_at = time.monotonic()
                elif not noticed and time.monotonic() - exited_at > ORPHANS_NOTICE_S:
                    noticed = True
                    if job.on_orphans is not None:
                        job.on_orphans()
            if done_at is not None and (
                not selector.get_map() or time.monotonic() - done_at > DRAIN_GRACE_S
            ):
                _copy_ready(selector, sources, echo, job, timeout=0)  # what is already there
                return code
    finally:
        for key in list(selector.get_map().values()):
            selector.unregister(key.fd)
            with contextlib.suppress(OSError):
                os.close(int(key.fd))  # type: ignore[arg-type]
        selector.close()


def _copy_ready(
    selector: selectors.BaseSelector,
    sources: dict[int, tuple[Stream, int]],
    echo: dict[int, bool],
    job: Launch,
    timeout: float = TICK_S,
) -> None:
    """Echo and record whatever the sources have; close those that reached their end."""
    if not selector.get_map():
        return
    ready = [int(key.fd) for key, _ in selector.select(timeout)]  # type: ignore[arg-type]
    # stdout before stderr when both have something: the order a plain terminal most likely saw
    for fd in sorted((fd for fd in ready if fd in sources), key=lambda fd: sources[fd][1]):
        stream, target = sources[fd]
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            continue
        except OSError:  # EIO: the pty's last writer is gone
            data = b""
        if not data:
            selector.unregister(fd)
            os.close(fd)
            continue
        if echo[target]:
            echo[target] = _write_all(target, data)
        job.sink(stream, data)
