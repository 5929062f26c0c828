"""Read events back from segments, from any offset, tolerating every on-disk state.

Offsets count bytes of the *uncompressed* stream, so a checkpoint taken while a
segment was plain stays valid after it is sealed. A last line without ``\\n`` is not
written yet: it is left for a later read from the same offset. A complete line whose
checksum fails is damaged: counted, skipped, and reading goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from runar.codec import decode_lines, split_framed
from runar.events import AnyEvent, Unknown
from runar.journal.segment import SegmentFile, list_segments

ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"


@dataclass
class SegmentRead:
    """What one read of a segment produced."""

    events: list[AnyEvent | Unknown] = field(default_factory=list)
    end: int = 0
    corrupt: int = 0
    damaged_frames: int = 0


def decompress_frames(blob: bytes) -> tuple[bytes, int]:
    """All frames of a sealed file concatenated, and how many frames were damaged.

    ``ZstdDecompressor.decompress()`` stops after the first frame and a streaming
    reader returns partial output for a truncated frame without complaint, so each
    frame is decoded on its own and a damaged one is skipped by finding the next magic.
    """
    import zstandard

    out: list[bytes] = []
    damaged = 0
    pos = 0
    view = memoryview(blob)  # slicing a view does not copy the rest of the file per frame
    while pos < len(blob):
        if blob[pos : pos + 4] != ZSTD_MAGIC:
            damaged += 1
            nxt = blob.find(ZSTD_MAGIC, pos + 1)
            if nxt < 0:
                break
            pos = nxt
            continue
        obj = zstandard.ZstdDecompressor().decompressobj()
        try:
            chunk = obj.decompress(view[pos:])
        except zstandard.ZstdError:
            damaged += 1
            nxt = blob.find(ZSTD_MAGIC, pos + 1)
            if nxt < 0:
                break
            pos = nxt
            continue
        if not obj.eof:
            damaged += 1  # truncated last frame: its partial output cannot be trusted whole
            chunk = chunk[: chunk.rfind(b"\n") + 1]
            out.append(chunk)
            break
        out.append(chunk)
        pos = len(blob) - len(obj.unused_data)
    return b"".join(out), damaged


def split_lines(data: bytes, base: int) -> tuple[list[bytes], int, int]:
    """Intact complete lines, the offset after the last complete line, and damaged count."""
    good, complete, damaged = split_framed(data)
    return good, base + complete, damaged


def read_bytes(seg: SegmentFile, start: int = 0) -> tuple[bytes, int]:
    """The segment's uncompressed bytes from ``start`` on, and its damaged-frame count."""
    if seg.sealed:
        try:
            blob = seg.path.read_bytes()
        except FileNotFoundError:
            return b"", 0
        data, damaged = decompress_frames(blob)
        return data[start:], damaged
    try:
        with open(seg.path, "rb") as fh:
            fh.seek(start)
            return fh.read(), 0
    except FileNotFoundError:
        sealed = seg.path.with_name(seg.path.name + ".zst")
        if sealed.exists():  # sealed between listing and opening
            moved = SegmentFile(seg.run_id, seg.writer, seg.number, sealed, True, 0)
            return read_bytes(moved, start)
        return b"", 0


def read_segment(seg: SegmentFile, start: int = 0) -> SegmentRead:
    """Events of complete lines from ``start`` on; damaged lines counted and skipped."""
    data, damaged_frames = read_bytes(seg, start)
    lines, end, damaged_lines = split_lines(data, start)
    decoded = decode_lines(lines)
    events = [e for e in decoded if e is not None]
    corrupt = damaged_lines + (len(decoded) - len(events)) + damaged_frames
    return SegmentRead(events, end, corrupt, damaged_frames)


@dataclass
class RunRead:
    """Every event of a run, in the order it happened, and how much was damaged."""

    events: list[AnyEvent | Unknown]
    corrupt: int


def event_order(event: AnyEvent | Unknown) -> tuple[int, str, int]:
    """Replay order: wall clock, then writer and seq to break ties deterministically."""
    return (event.ts, event.writer, event.seq)


def read_run(run_dir: Path) -> RunRead:
    """All events of a run in time order, each ``(writer, seq)`` once."""
    seen: set[tuple[str, int]] = set()
    events: list[AnyEvent | Unknown] = []
    corrupt = 0
    for seg in list_segments(run_dir):
        got = read_segment(seg)
        corrupt += got.corrupt
        for event in got.events:
            ident = (event.writer, event.seq)
            if ident in seen:
                continue
            seen.add(ident)
            events.append(event)
    events.sort(key=event_order)
    return RunRead(events, corrupt)
