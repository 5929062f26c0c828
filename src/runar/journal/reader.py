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

from runar.codec import decode_chunks, decode_chunks_columns, split_framed, split_framed_chunks
from runar.events import AnyEvent, MetricsColumns, Unknown
from runar.journal.segment import SegmentFile, list_segments
from runar.metric_columns import as_unknown, is_consistent

ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
SALVAGE_CHUNK: Final = 1 << 12  # compressed bytes per step when reading a damaged frame
# Padding per file at most: fake frame headers in a hostile file, each declaring a
# large size, cannot make a reader allocate more than this.
PAD_BUDGET_BYTES: Final = 64 << 20


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
    frame is decoded on its own. A damaged or cut frame still yields the complete lines
    of its readable prefix (each line carries its own CRC, so a wrong one is caught
    later); the next frame is found by its magic. Where the damaged frame's header
    declares its size, newlines pad the lost part, so offsets into the uncompressed
    stream (the projector's checkpoints) stay true for the frames after it.
    """
    import zstandard

    out: list[bytes] = []
    damaged = 0
    pos = 0
    budget = PAD_BUDGET_BYTES
    view = memoryview(blob)  # slicing a view does not copy the rest of the file per frame
    while pos < len(blob):
        is_frame = blob[pos : pos + 4] == ZSTD_MAGIC
        if is_frame:
            obj = zstandard.ZstdDecompressor().decompressobj()
            try:
                chunk = obj.decompress(view[pos:])
            except zstandard.ZstdError:
                chunk = None
            if chunk is not None and obj.eof:
                out.append(chunk)
                pos = len(blob) - len(obj.unused_data)
                continue
        damaged += 1
        nxt = blob.find(ZSTD_MAGIC, pos + 1)
        if is_frame:  # damaged or cut: keep what it yields before the damage
            salvaged = salvage_frame(view[pos : nxt if nxt >= 0 else len(blob)])
            out.append(salvaged)
            pad = declared_size(view[pos:nxt]) - len(salvaged) if nxt >= 0 else 0
            if 0 < pad <= budget:
                out.append(b"\n" * pad)
                budget -= pad
        if nxt < 0:
            break
        pos = nxt
    return b"".join(out), damaged


def salvage_frame(frame: memoryview) -> bytes:
    """The complete lines a damaged or cut frame decodes to before its damage.

    Args:
        frame: from the frame's magic up to the next magic or the end of the file.
    """
    import zstandard

    obj = zstandard.ZstdDecompressor().decompressobj()
    got: list[bytes] = []
    # zstd emits a block's output only once the whole block is in, so small steps keep
    # every block before the one that fails; the last 4 bytes (the content checksum of
    # a whole frame) go alone, so a failed checksum does not take the last block along
    body = len(frame) - 4
    steps = [*range(0, body, SALVAGE_CHUNK), body] if body > 0 else [0]
    for at, end in zip(steps, [*steps[1:], len(frame)], strict=True):
        try:
            got.append(obj.decompress(frame[at:end]))
        except zstandard.ZstdError:
            break
        if obj.eof:
            break
    data = b"".join(got)
    return data[: data.rfind(b"\n") + 1]


def declared_size(frame: memoryview) -> int:
    """The content size a frame's header declares; 0 when it declares none."""
    import zstandard

    try:
        size = zstandard.frame_content_size(frame[:18])  # 18: the longest frame header
    except zstandard.ZstdError:
        return 0
    return max(size, 0)  # -1: not declared


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
    chunks, complete, damaged_lines = split_framed_chunks(data)
    end = start + complete
    decoded = decode_chunks(chunks)
    events = [e for e in decoded if e is not None]
    corrupt = damaged_lines + (len(decoded) - len(events)) + damaged_frames
    return SegmentRead(events, end, corrupt, damaged_frames)


@dataclass
class ColumnsRead:
    """read_segment's result with MetricsColumns records kept whole; ``count`` events."""

    events: list[AnyEvent | MetricsColumns | Unknown]
    count: int
    end: int
    corrupt: int


def read_segment_columns(seg: SegmentFile, start: int = 0) -> ColumnsRead:
    """read_segment for a fold that takes columns records as they are (the projector)."""
    data, damaged_frames = read_bytes(seg, start)
    chunks, complete, damaged_lines = split_framed_chunks(data)
    decoded = decode_chunks_columns(chunks)
    events = [e for e in decoded if e is not None]
    corrupt = damaged_lines + (len(decoded) - len(events)) + damaged_frames
    count = len(events)
    if MetricsColumns in map(type, events):  # C-level: old segments pay ~nothing
        records = [e for e in events if type(e) is MetricsColumns]
        if not all(map(is_consistent, records)):  # as read_segment reads them: Unknown
            events = [
                as_unknown(e) if type(e) is MetricsColumns and not is_consistent(e) else e
                for e in events
            ]
            records = [e for e in events if type(e) is MetricsColumns]
        count += sum(len(r.stamps) for r in records) - len(records)  # type: ignore[union-attr]
    return ColumnsRead(events, count, start + complete, corrupt)


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
