"""The record log of a W&B ``run-*.wandb`` file: LevelDB's log format behind a 7-byte header.

    file      ":W&B" | uint16 0xBEE1 | uint8 version 0, then 32 KiB blocks
    record    uint32 crc | uint16 length | uint8 type | data[length]
    type      1 FULL, or 2 FIRST, 3 MIDDLE…, 4 LAST: one logical record cut across blocks

A block's last < 7 bytes are zero padding. The CRC is zlib's CRC-32 of the data, seeded
with the CRC-32 of the type byte (W&B's variant; LevelDB itself uses CRC32C). As LevelDB
does, a record whose CRC fails costs the rest of its block (its length cannot be
trusted), and a logical record missing a fragment is dropped whole.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

FILE_HEADER: Final = struct.Struct("<4sHB")
IDENT: Final = b":W&B"
MAGIC: Final = 0xBEE1
RECORD_HEADER: Final = struct.Struct("<IHB")
BLOCK_BYTES: Final = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_TYPE_SEED: Final = {t: zlib.crc32(bytes([t])) for t in (FULL, FIRST, MIDDLE, LAST)}


class NotAWandbFile(ValueError):
    """The file does not start with W&B's log header."""


@dataclass
class LogDamage:
    """What reading a log had to skip."""

    bad_crc: int = 0  # physical records whose CRC failed (the rest of their block skipped)
    broken: int = 0  # logical records missing a fragment
    truncated_bytes: int = 0  # a record cut off at the end of the file


def iter_log(blob: bytes, damage: LogDamage) -> Iterator[bytes]:
    """The logical records of a .wandb file whose every fragment checked out."""
    if len(blob) < FILE_HEADER.size:
        raise NotAWandbFile("shorter than the W&B header")
    ident, magic, _version = FILE_HEADER.unpack_from(blob)
    if ident != IDENT or magic != MAGIC:
        raise NotAWandbFile("no ':W&B' header")
    pos = FILE_HEADER.size
    pending: list[bytes] | None = None
    end = len(blob)
    while pos < end:
        left = BLOCK_BYTES - pos % BLOCK_BYTES
        if left < RECORD_HEADER.size:
            pos += left  # zero padding at the end of a block
            continue
        if end - pos < RECORD_HEADER.size:
            damage.truncated_bytes += end - pos
            break
        crc, length, kind = RECORD_HEADER.unpack_from(blob, pos)
        if kind == 0 and length == 0 and crc == 0:
            pos += left  # a writer that pre-extended the file, or padding
            continue
        start = pos + RECORD_HEADER.size
        if start + length > end:
            damage.truncated_bytes += end - pos
            break
        data = blob[start : start + length]
        seed = _TYPE_SEED.get(kind)
        if seed is None or zlib.crc32(data, seed) != crc:
            damage.bad_crc += 1
            if pending is not None:
                damage.broken += 1
                pending = None
            pos += left  # the length is not to be trusted: go on at the next block
            continue
        pos = start + length
        if kind == FULL:
            if pending is not None:
                damage.broken += 1
            pending = None
            yield data
        elif kind == FIRST:
            if pending is not None:
                damage.broken += 1
            pending = [data]
        elif pending is None:
            damage.broken += 1  # a MIDDLE or LAST whose FIRST was lost
        elif kind == MIDDLE:
            pending.append(data)
        else:
            pending.append(data)
            yield b"".join(pending)
            pending = None
    if pending is not None:
        damage.broken += 1
