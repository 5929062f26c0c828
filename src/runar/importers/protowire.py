"""The protobuf wire format, just enough to pick known fields out of a message by number.

The importers read a handful of fields of a few messages (TensorBoard's Event and Summary,
the hparams plugin's data); a generated-code dependency on protobuf for that would weigh
more than this reader. Unknown fields are skipped, as protobuf itself does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Final

VARINT: Final = 0
FIXED64: Final = 1
LENGTH: Final = 2
FIXED32: Final = 5
Value = int | bytes


class WireError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the offset after it."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise WireError("message ends inside a varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(buf: bytes) -> Iterator[tuple[int, int, Value]]:
    """(field number, wire type, value) for each field: an int for varints, else raw bytes."""
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
            yield number, wire, value
            continue
        if wire == LENGTH:
            size, pos = read_varint(buf, pos)
        elif wire == FIXED64:
            size = 8
        elif wire == FIXED32:
            size = 4
        else:  # groups (3, 4) are long deprecated and none of the messages read here has one
            raise WireError(f"unsupported wire type {wire}")
        if pos + size > end:
            raise WireError("field runs past the end of the message")
        yield number, wire, buf[pos : pos + size]
        pos += size


def as_int64(value: Value) -> int:
    """A varint as the signed int64 it encodes (negative values are ten-byte varints)."""
    if not isinstance(value, int):
        raise WireError("expected a varint")
    return value - (1 << 64) if value >= 1 << 63 else value


def as_double(value: Value) -> float:
    if not isinstance(value, bytes) or len(value) != 8:
        raise WireError("expected a fixed64 double")
    return float(struct.unpack("<d", value)[0])


def as_float(value: Value) -> float:
    if not isinstance(value, bytes) or len(value) != 4:
        raise WireError("expected a fixed32 float")
    return float(struct.unpack("<f", value)[0])


def as_bytes(value: Value) -> bytes:
    if not isinstance(value, bytes):
        raise WireError("expected a length-delimited field")
    return value


def as_text(value: Value) -> str:
    return as_bytes(value).decode("utf-8", errors="replace")


def packed_varints(buf: bytes) -> list[int]:
    """A packed repeated varint field (int32, int64, bool)."""
    out: list[int] = []
    pos = 0
    while pos < len(buf):
        value, pos = read_varint(buf, pos)
        out.append(value)
    return out


def field_value(buf: bytes, number: int) -> Value | None:
    """The last value of field ``number`` (protobuf's rule for a repeated scalar: last wins)."""
    found: Value | None = None
    for n, _, value in fields(buf):
        if n == number:
            found = value
    return found
