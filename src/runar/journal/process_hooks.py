"""Process-wide duties of the journal writers: flush on SIGTERM, close at exit, reset after fork.

Every JournalWriter registers here; the hooks are installed once, with the first writer.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runar.journal.writer import JournalWriter

_live_writers: weakref.WeakSet[JournalWriter] = weakref.WeakSet()
_hooks_installed = False
_deferred_signal: int | None = None


def flush_all(durable: bool = True) -> None:
    """Flush every writer of this process (used on exit and on SIGTERM)."""
    for writer in list(_live_writers):
        if writer.pid == os.getpid() and not writer._closed:
            writer._flush_quietly(durable=durable)


def close_all() -> None:
    """Close every writer of this process, sealing their segments."""
    for writer in list(_live_writers):
        with contextlib.suppress(Exception):
            writer.close()


def _after_fork_in_child() -> None:
    for writer in list(_live_writers):
        writer._io_lock = threading.RLock()
        writer._forget_after_fork()


def _main_thread_flushing() -> bool:
    return any(writer._main_thread_flushing for writer in list(_live_writers))


def resume_deferred_signal() -> None:
    """Called by the main thread after each flush: act on a SIGTERM that waited for it."""
    if _deferred_signal is not None and not _main_thread_flushing():
        _on_sigterm(_deferred_signal, None)


def _on_sigterm(signum: int, frame: object) -> None:
    global _deferred_signal
    if _main_thread_flushing():
        # The handler runs on the main thread, here inside a flush() that may hold a batch
        # it has numbered but not yet written: flushing now would write later seqs and die
        # without that batch. That flush() finishes first and then calls us again.
        _deferred_signal = signum
        return
    _deferred_signal = None
    # append() holds no lock, so flushing from inside the handler cannot deadlock it
    flush_all(durable=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # die of the same signal, as if runar were not there


def register(writer: JournalWriter) -> None:
    """Track a new writer, installing the process hooks with the first one."""
    global _hooks_installed
    _live_writers.add(writer)
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(close_all)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    take_sigterm()


def take_sigterm() -> None:
    """Flush every writer on SIGTERM from now on, unless something else handles it.

    Only the main thread can install a handler: a process whose writers open on another
    thread (the runner's, while its script starts) calls this again from the main thread.
    SIGINT needs nothing: it raises KeyboardInterrupt and atexit covers it.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def forget(writer: JournalWriter) -> None:
    """A closed writer, or one inherited through fork, has nothing left to flush."""
    _live_writers.discard(writer)
