"""TFRecord files (TensorBoard event files) read record by record, each checked by CRC32C.

A record on disk is::

    uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)

all little-endian. A record whose data CRC fails is skipped and counted; a header whose
CRC fails means the length cannot be trusted, so the reader searches forward for the
next offset where a header checks out (and counts the bytes it stepped over); a file that
ends inside a record has a truncated tail (a writer killed mid-record, or a file still
being written).

Every header is checked (12 bytes). A record's data is checked when the caller uses it
(``Record.intact()``): CRC32C in pure Python runs at a few MB/s, and event files can be
hundreds of MB of images and histograms that an importer of scalars never reads, so only
the records that land in the store pay for their check. ``google-crc32c`` (C, Apache-2.0)
is used when installed; runar does not depend on it for a command run once per logdir.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

HEADER_BYTES: Final = 12  # length (8) + its CRC (4)
FOOTER_BYTES: Final = 4
MASK_DELTA: Final = 0xA282EAD8
CASTAGNOLI: Final = 0x82F63B78  # the reversed CRC32C polynomial
# A length past this is damage, not data: no summary record comes near it.
MAX_RECORD_BYTES: Final = 1 << 31


def _tables() -> list[list[int]]:
    first = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ CASTAGNOLI if crc & 1 else crc >> 1
        first.append(crc)
    tables = [first]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[n] >> 8) ^ first[prev[n] & 0xFF] for n in range(256)])
    return tables


_T: Final = _tables()


def crc32c_python(data: bytes) -> int:
    """CRC32C (Castagnoli) of ``data``, eight bytes per step."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    crc = 0xFFFFFFFF
    n = len(data)
    whole = n - n % 8
    for (word,) in struct.iter_unpack("<Q", memoryview(data)[:whole]):
        x = word ^ crc
        crc = (
            t7[x & 0xFF]
            ^ t6[(x >> 8) & 0xFF]
            ^ t5[(x >> 16) & 0xFF]
            ^ t4[(x >> 24) & 0xFF]
            ^ t3[(x >> 32) & 0xFF]
            ^ t2[(x >> 40) & 0xFF]
            ^ t1[(x >> 48) & 0xFF]
            ^ t0[x >> 56]
        )
    for byte in data[whole:]:
        crc = (crc >> 8) ^ t0[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def _pick_crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c
    except ImportError:
        return crc32c_python
    return lambda data: int(google_crc32c.value(bytes(data)))


crc32c: Final = _pick_crc32c()


def masked_crc32c(data: bytes) -> int:
    """The CRC as TFRecord stores it: rotated and offset, so CRCs of CRCs stay strong."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


@dataclass
class RecordDamage:
    """What reading a file had to skip."""

    bad_crc: int = 0  # records whose data failed its CRC (of those checked)
    bad_headers: int = 0  # places where a length failed its CRC and the reader searched on
    skipped_bytes: int = 0  # bytes stepped over while searching for the next good header
    truncated_bytes: int = 0  # an incomplete record at the end of the file

    def add(self, other: RecordDamage) -> None:
        self.bad_crc += other.bad_crc
        self.bad_headers += other.bad_headers
        self.skipped_bytes += other.skipped_bytes
        self.truncated_bytes += other.truncated_bytes

    @property
    def any(self) -> bool:
        return bool(self.bad_crc or self.bad_headers or self.truncated_bytes)


def _header_at(blob: bytes, pos: int) -> int | None:
    """The record length whose header starts at ``pos``, or None when the header fails."""
    if pos + HEADER_BYTES > len(blob):
        return None
    head = blob[pos : pos + 8]
    (length,) = struct.unpack("<Q", head)
    (stored,) = struct.unpack_from("<I", blob, pos + 8)
    if masked_crc32c(head) != stored or length > MAX_RECORD_BYTES:
        return None
    return length


def _next_header(blob: bytes, start: int) -> int:
    """The first offset from ``start`` on where a valid header begins; len(blob) if none."""
    end = len(blob)
    for pos in range(start, end - HEADER_BYTES + 1):
        (length,) = struct.unpack_from("<Q", blob, pos)
        # a length that overruns the file cannot start a record: skip its CRC (the slow part)
        if length <= end - pos - HEADER_BYTES - FOOTER_BYTES and _header_at(blob, pos) is not None:
            return pos
    return end


@dataclass(frozen=True)
class Record:
    """One record whose header checked out; its data is checked on demand."""

    data: bytes
    stored_crc: int

    def intact(self) -> bool:
        return masked_crc32c(self.data) == self.stored_crc


def iter_records(blob: bytes, damage: RecordDamage) -> Iterator[Record]:
    """Every record in ``blob`` with a sound header; what was skipped goes into ``damage``."""
    pos = 0
    end = len(blob)
    while pos < end:
        if end - pos < HEADER_BYTES:
            damage.truncated_bytes += end - pos
            return
        length = _header_at(blob, pos)
        if length is None:
            damage.bad_headers += 1
            found = _next_header(blob, pos + 1)
            damage.skipped_bytes += found - pos
            pos = found
            continue
        data_end = pos + HEADER_BYTES + length
        if data_end + FOOTER_BYTES > end:
            damage.truncated_bytes += end - pos
            return
        (stored,) = struct.unpack_from("<I", blob, data_end)
        yield Record(blob[pos + HEADER_BYTES : data_end], stored)
        pos = data_end + FOOTER_BYTES


def read_records(path: Path) -> tuple[list[bytes], RecordDamage]:
    """The data of every intact record of a TFRecord file, and what had to be skipped."""
    damage = RecordDamage()
    records: list[bytes] = []
    for record in iter_records(Path(path).read_bytes(), damage):
        if record.intact():
            records.append(record.data)
        else:
            damage.bad_crc += 1
    return records, damage
