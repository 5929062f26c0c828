"""Segment files: naming, listing, and sealing an active segment into zstd.

States a segment passes through, each safe for a concurrent reader:
    1. ``w.000001.jsonl``                        active, plain JSON lines
    2. + ``w.000001.jsonl.zst.tmp``              being sealed: readers ignore the tmp
    3. + ``w.000001.jsonl.zst``                  sealed: readers prefer it, same bytes
    4. ``w.000001.jsonl.zst`` alone              plain copy removed
The sealed file holds independent zstd frames of whole lines, so damage costs at most
one frame (the reader keeps the lines of its blocks before the damage), never the rest.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PLAIN_SUFFIX: Final = ".jsonl"
SEALED_SUFFIX: Final = ".jsonl.zst"
TMP_SUFFIX: Final = ".tmp"
SEAL_LEVEL: Final = "fast, 1 KiB hash"  # named for the benchmark table; see _seal_compressor
FRAME_BYTES: Final = 1 << 20
LISTING_RETRIES: Final = 3
FIRST_SEGMENT: Final = 1  # a writer's first segment number (JournalWriter counts from it)
_NAME = re.compile(r"^([a-z0-9]+-[a-z0-9]+)\.(\d{6,})\.jsonl(\.zst)?$")


def segment_stem(writer: str, number: int) -> str:
    return f"{writer}.{number:06d}"


@dataclass(frozen=True)
class SegmentFile:
    """One segment of a run as found on disk; ``path`` is the file to read."""

    run_id: str
    writer: str
    number: int
    path: Path
    sealed: bool
    size: int

    @property
    def key(self) -> str:
        """Stable identity across sealing: ``<run_id>/<writer>.<number>``."""
        return f"{self.run_id}/{segment_stem(self.writer, self.number)}"


def list_segments(run_dir: Path) -> list[SegmentFile]:
    """The run's segments ordered by writer and number; sealed copies win over plain.

    A directory listing is not atomic: a writer sealing segment n (write n.jsonl.zst,
    remove n.jsonl) and opening n+1 while it runs can leave n out and n+1 in. A reader
    would then fold n+1 before n, which order-dependent views (anomalies) notice, so a
    listing with a hole in a writer's numbers is taken again.
    """
    segments = _list_once(run_dir)
    for _ in range(LISTING_RETRIES):
        if not _has_gap(segments):
            break
        segments = _list_once(run_dir)
    return segments


def _has_gap(segments: list[SegmentFile]) -> bool:
    """Does a writer's numbering (from FIRST_SEGMENT, one by one) skip a segment?"""
    previous: SegmentFile | None = None
    for seg in segments:
        expected = (
            previous.number + 1
            if previous is not None and previous.writer == seg.writer
            else FIRST_SEGMENT
        )
        if seg.number != expected:
            return True
        previous = seg
    return False


def _list_once(run_dir: Path) -> list[SegmentFile]:
    found: dict[tuple[str, int], SegmentFile] = {}
    try:
        entries = list(os.scandir(run_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        writer, number, sealed = match.group(1), int(match.group(2)), bool(match.group(3))
        try:
            size = entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:
            continue  # sealed and removed between listing and stat
        seg = SegmentFile(run_dir.name, writer, number, Path(entry.path), sealed, size)
        current = found.get((writer, number))
        if current is None or (sealed and not current.sealed):
            found[(writer, number)] = seg
    return [found[k] for k in sorted(found)]


def fsync_dir(folder: Path) -> None:
    """Make a rename or create in ``folder`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _seal_compressor() -> object:
    """zstd's fast strategy with a tiny (1 KiB) match table.

    Numeric JSON is mostly literals, so what pays is the entropy coding, not match search;
    a small table even finds fewer useless short matches. Measured on a realistic 4-float
    training curve (benchmarks/bench_journal.py, block-framed): 10.2 B/point at ~600 MB/s,
    where the optimal parser (btopt) gave 9.9 at ~15 MB/s and level 1 gives 11.1. On
    captured output text and wide metric or system records it keeps 81-95% of btopt's
    ratio. Sealing was most of the CPU a logging process spent (~0.75 s of ~1 s for 100k
    4-key steps); it is now a few percent of it.
    """
    import zstandard

    params = zstandard.ZstdCompressionParameters(
        strategy=zstandard.STRATEGY_FAST,
        window_log=20,  # a frame (FRAME_BYTES) fits the window
        hash_log=10,
        min_match=6,
        write_checksum=True,
    )
    return zstandard.ZstdCompressor(compression_params=params)


def compress_frames(data: bytes, level: int | None = None) -> bytes:
    """Independent checksummed zstd frames, each holding whole lines.

    Args:
        data: whole lines.
        level: a plain zstd level instead of the dense default (for comparisons).
    """
    import zstandard

    compressor = (
        _seal_compressor()
        if level is None
        else zstandard.ZstdCompressor(level=level, write_checksum=True)
    )
    frames: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + FRAME_BYTES, len(data))
        if end < len(data):
            end = _frame_end(data, start, end)
        frames.append(compressor.compress(data[start:end]))
        start = end
    return b"".join(frames)


def _frame_end(data: bytes, start: int, limit: int) -> int:
    """Where a frame from ``start`` ends: after a block's trailer, else after a line.

    A block split across two frames would be lost with either of them; kept in one, a
    damaged frame costs only its own blocks.
    """
    trailer = data.rfind(b'\n{"block":', start, limit)
    while trailer >= start:
        newline = data.find(b"\n", trailer + 1, limit)
        if newline >= 0:
            return newline + 1
        trailer = data.rfind(b'\n{"block":', start, trailer)
    cut = data.rfind(b"\n", start, limit)
    return cut + 1 if cut >= start else limit


def seal(plain: Path, level: int | None = None) -> Path:
    """Write the zstd copy of a finished plain segment atomically, then remove the plain file.

    Only the owning writer calls this, after its last write to ``plain``.
    """
    sealed = plain.with_name(plain.name + ".zst")
    tmp = sealed.with_name(sealed.name + TMP_SUFFIX)
    data = plain.read_bytes()
    tail = data.rfind(b"\n") + 1
    data = data[:tail]  # a torn tail was never written; the owner may drop it
    with open(tmp, "wb") as out:
        out.write(compress_frames(data, level))
        out.flush()
        os.fsync(out.fileno())  # before rename: a crash must never leave an empty sealed file
    os.replace(tmp, sealed)
    fsync_dir(plain.parent)
    plain.unlink()
    return sealed
