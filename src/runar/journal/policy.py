"""When buffered events reach the OS and the disk; tunable by environment variables.

| variable               | default | meaning                                             |
|------------------------|---------|-----------------------------------------------------|
| RUNAR_FLUSH_INTERVAL   | 0.1     | seconds between hand-offs to the OS (kill -9 loss)  |
| RUNAR_FSYNC_INTERVAL   | 1.0     | seconds between fsyncs (power-loss loss); 0 = every flush |
| RUNAR_SEGMENT_BYTES    | 4 MiB   | an active segment is sealed past this size          |
| RUNAR_MAX_BUFFERED     | 10000   | events buffered before the caller flushes itself    |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

FLUSH_INTERVAL_S: Final = 0.1
FSYNC_INTERVAL_S: Final = 1.0
SEGMENT_BYTES: Final = 4 << 20  # sealing one takes ~10 ms; close() waits for the last
# Backpressure: a script that logs faster than events can be encoded waits here, so what
# sits in memory (and dies with a kill -9) stays about one flush window (~10k events).
MAX_BUFFERED_EVENTS: Final = 10_000


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


@dataclass(frozen=True)
class FlushPolicy:
    """How long events may wait in memory and in the page cache."""

    flush_interval_s: float = FLUSH_INTERVAL_S
    fsync_interval_s: float = FSYNC_INTERVAL_S
    segment_bytes: int = SEGMENT_BYTES
    max_buffered_events: int = MAX_BUFFERED_EVENTS

    @classmethod
    def from_env(cls) -> FlushPolicy:
        """The defaults, overridden by RUNAR_* environment variables."""
        return cls(
            flush_interval_s=_env_float("RUNAR_FLUSH_INTERVAL", FLUSH_INTERVAL_S),
            fsync_interval_s=_env_float("RUNAR_FSYNC_INTERVAL", FSYNC_INTERVAL_S),
            segment_bytes=int(_env_float("RUNAR_SEGMENT_BYTES", SEGMENT_BYTES)) or SEGMENT_BYTES,
            max_buffered_events=int(_env_float("RUNAR_MAX_BUFFERED", MAX_BUFFERED_EVENTS))
            or MAX_BUFFERED_EVENTS,
        )
