"""The append-only log: the source of truth for everything runar shows."""

from runar.journal.policy import FlushPolicy
from runar.journal.process_hooks import close_all, flush_all
from runar.journal.reader import RunRead, SegmentRead, read_run, read_segment
from runar.journal.segment import SegmentFile, list_segments, seal
from runar.journal.writer import JournalWriter

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
