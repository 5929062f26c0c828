"""The append-only log: the source of truth for everything runar shows.

The names below load with their module on first use (PEP 562): a reader that only
lists segments (the projector checking what is new) need not load the writer, and a
writer need not load the reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from runar.lazy_names import lazy_names

if TYPE_CHECKING:
    from runar.journal.policy import FlushPolicy
    from runar.journal.process_hooks import close_all, flush_all
    from runar.journal.reader import RunRead, SegmentRead, read_run, read_segment
    from runar.journal.segment import SegmentFile, list_segments, seal
    from runar.journal.writer import JournalWriter

# each name and the module that defines it
_NAMES: Final = {
    "FlushPolicy": "runar.journal.policy",
    "close_all": "runar.journal.process_hooks",
    "flush_all": "runar.journal.process_hooks",
    "RunRead": "runar.journal.reader",
    "SegmentRead": "runar.journal.reader",
    "read_run": "runar.journal.reader",
    "read_segment": "runar.journal.reader",
    "SegmentFile": "runar.journal.segment",
    "list_segments": "runar.journal.segment",
    "seal": "runar.journal.segment",
    "JournalWriter": "runar.journal.writer",
}

__all__ = [
    "FlushPolicy",
    "JournalWriter",
    "RunRead",
    "SegmentFile",
    "SegmentRead",
    "close_all",
    "flush_all",
    "list_segments",
    "read_run",
    "read_segment",
    "seal",
]


__getattr__, __dir__ = lazy_names(globals(), _NAMES)
