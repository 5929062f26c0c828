"""What the child gets from runar while it runs: ptys, the terminal and runar's signals.

The child's group is made the terminal's foreground group while it runs (so Ctrl-C and
keyboard input reach the script directly) and runar takes it back when it ends; the
signals sent to runar itself are passed on to the whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType
from typing import Final

FORWARDED_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Forwarder:
    """Signal handlers that pass SIGINT/SIGTERM/SIGHUP/SIGQUIT on to the child's group."""

    def __init__(self) -> None:
        self.pgid: int | None = None
        self.pending: list[int] = []
        self.last: int | None = None
        self.orphans = False  # only the group's leftovers remain: escalate, and record nothing
        self._sent_to_orphans = 0
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
        if self.orphans:
            # a shell's `&` jobs ignore SIGINT: ask with SIGTERM, insist with SIGKILL
            self._sent_to_orphans += 1
            signum = signal.SIGTERM if self._sent_to_orphans == 1 else signal.SIGKILL
        else:
            self.last = signum
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signum)  # type: ignore[arg-type]


class Terminal:
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


def open_pty(size_from: int) -> tuple[int, int]:
    import pty
    import termios

    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR  # keep "\n" as the script wrote it; the real terminal maps it
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    copy_window_size(slave, size_from)
    return master, slave


def copy_window_size(target: int, source: int) -> None:
    import fcntl
    import termios

    with contextlib.suppress(OSError):
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)


def open_stream(use_pty: bool, size_from: int) -> tuple[int, int]:
    """(our end, the child's end) of one output stream: a pty or a pipe."""
    return open_pty(size_from) if use_pty else os.pipe()
