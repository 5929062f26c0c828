"""Effective status: a run with no finish event whose writers are gone is 'crashed'."""

from __future__ import annotations

import os
import time
from typing import Final

from runar.ids import host_name
from runar.views.summary import RunSummary

SILENT_AFTER_S: Final = 6 * 3600  # a run on another host with no event for this long is dead
_HOST = host_name()


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(summary: RunSummary, now_ns: int | None = None) -> str:
    """The recorded status, except that a 'running' run nobody is writing is 'crashed'."""
    if summary.finished is not None:
        return summary.finished.status
    writers = list(summary.writers.values())
    local = [w for w in writers if w.host == _HOST]
    if local and len(local) == len(writers):
        return "running" if any(pid_alive(w.pid) for w in local) else "crashed"
    if any(pid_alive(w.pid) for w in local):
        return "running"
    now = now_ns if now_ns is not None else time.time_ns()
    if summary.last_ts and now - summary.last_ts > SILENT_AFTER_S * 1_000_000_000:
        return "crashed"
    return "running"


def run_seconds(summary: RunSummary, status: str, now_ns: int | None = None) -> float | None:
    """How long the run lasted, or has lasted so far; a crashed run ends at its last event."""
    start = summary.created_ts
    if not start:
        return None
    if summary.ended_ts is not None:
        end = summary.ended_ts
    elif status == "running":
        end = time.time_ns() if now_ns is None else now_ns
    else:
        end = summary.last_ts
    return max(0, end - start) / 1e9
