"""Spawn the child, copy its output to the terminal unchanged, forward signals, reap it.

With a terminal on stdout the child writes into a pty, so it keeps its colours and
progress bars; its stdout and stderr then arrive merged. Without one, two pipes keep
the streams apart. The child runs in its own process group: SIGINT/SIGTERM/SIGHUP sent
to runar go to the whole group (data-loader workers included), and when runar owns the
terminal the child's group is made the foreground one, so Ctrl-C and keyboard input
reach the script directly.
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
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

from runar.events import Stream

READ_BYTES: Final = 64 << 10
TICK_S: Final = 0.05  # how often the loop checks the child and calls on_tick
DRAIN_GRACE_S: Final = 0.5  # a grandchild may hold the output open after the child exits
FORWARDED_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

OutputSink = Callable[[Stream, bytes], None]


@dataclass(frozen=True)
class ChildExit:
    """How the child ended: an exit code, or the signal that killed it."""

    exit_code: int | None
    signal: int | None
    forwarded: int | None = None  # the last signal runar passed on, if any

    @property
    def shell_code(self) -> int:
        """What a shell reports: the exit code, or 128 + the signal number."""
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code if self.exit_code is not None else 1


@dataclass
class Launch:
    """What to run and where its output goes."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    sink: OutputSink
    use_pty: bool
    on_start: Callable[[int], None] | None = None
    on_tick: Callable[[], None] | None = None


def wants_pty() -> bool:
    """A pty only when our stdout is a terminal, as the user would see it."""
    return sys.platform != "win32" and os.isatty(1)


class _Forwarder:
    """Signal handlers that pass SIGINT/SIGTERM/SIGHUP/SIGQUIT on to the child's group."""

    def __init__(self) -> None:
        self.pgid: int | None = None
        self.pending: list[int] = []
        self.last: int | None = None
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for sig in FORWARDED_SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]

    def attach(self, pgid: int) -> None:
        self.pgid = pgid
        for sig in self.pending:
            self._send(sig)
        self.pending.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pgid is None:
            self.pending.append(signum)
        else:
            self._send(signum)

    def _send(self, signum: int) -> None:
        self.last = signum
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signum)  # type: ignore[arg-type]


class _Terminal:
    """Hands the controlling terminal to the child's group and takes it back."""

    def __init__(self) -> None:
        self.fd: int | None = None
        try:
            if os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp():
                self.fd = 0
        except OSError:
            self.fd = None

    def give(self, pgid: int) -> None:
        if self.fd is None:
            return
        try:
            os.tcsetpgrp(self.fd, pgid)
        except OSError:
            self.fd = None
            return
        # the child may have read the terminal before it was its turn: SIGTTIN stopped it
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGCONT)

    def take_back(self) -> None:
        if self.fd is None:
            return
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we are in the background now
        try:
            os.tcsetpgrp(self.fd, os.getpgrp())
        except OSError:
            pass
        finally:
            signal.signal(signal.SIGTTOU, previous)


def _open_pty() -> tuple[int, int]:
    import pty
    import termios

    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR  # keep "\n" as the script wrote it; the real terminal maps it
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    _copy_window_size(slave)
    return master, slave


def _copy_window_size(target: int) -> None:
    import fcntl
    import termios

    with contextlib.suppress(OSError):
        size = fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)


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


def run_child(job: Launch) -> ChildExit:
    """Run the command to completion and report how it ended."""
    forwarder = _Forwarder()
    terminal = _Terminal()
    forwarder.install()
    winch = None
    try:
        if job.use_pty:
            master, slave = _open_pty()
            try:
                proc = _spawn(job, slave, slave)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)
            sources: dict[int, tuple[Stream, int]] = {master: ("stdout", 1)}
            winch = signal.signal(signal.SIGWINCH, lambda *_: _copy_window_size(master))
        else:
            # raw pipes rather than Popen's file objects: _pump owns and closes these fds
            (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
            try:
                proc = _spawn(job, out_w, err_w)
            except BaseException:
                for fd in (out_r, err_r):
                    os.close(fd)
                raise
            finally:
                os.close(out_w)
                os.close(err_w)
            sources = {out_r: ("stdout", 1), err_r: ("stderr", 2)}
        terminal.give(proc.pid)
        forwarder.attach(proc.pid)
        if job.on_start is not None:
            job.on_start(proc.pid)
        _pump(proc, sources, job)
        code = proc.wait()
    finally:
        terminal.take_back()
        forwarder.restore()
        if winch is not None:
            signal.signal(signal.SIGWINCH, winch)
    if code < 0:
        return ChildExit(exit_code=None, signal=-code, forwarded=forwarder.last)
    return ChildExit(exit_code=code, signal=None, forwarded=forwarder.last)


def _pump(
    proc: subprocess.Popen[bytes], sources: dict[int, tuple[Stream, int]], job: Launch
) -> None:
    """Copy output until every source closes, or the child is gone and the grace is over."""
    selector = selectors.DefaultSelector()
    for fd in sources:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    echo = {1: True, 2: True}
    exited_at: float | None = None
    try:
        while selector.get_map():
            for key, _ in selector.select(TICK_S):
                fd = int(key.fd)  # type: ignore[arg-type]
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
            if job.on_tick is not None:
                job.on_tick()
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > DRAIN_GRACE_S:
                break
    finally:
        for key in list(selector.get_map().values()):
            selector.unregister(key.fd)
            with contextlib.suppress(OSError):
                os.close(int(key.fd))  # type: ignore[arg-type]
        selector.close()
