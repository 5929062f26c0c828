"""Event ⇄ one framed JSON line.

A line is the event's JSON object with a last member ``"crc":"xxxxxxxx"`` — the
CRC-32 (zlib) of every byte before that member — then ``\\n``. So each line is still
plain JSON for other tools, and a reader can tell a damaged line from a good one.

msgspec writes NaN and ±inf as ``null``; metric values are therefore re-encoded as
the strings "nan"/"inf"/"-inf", which the lax decoder reads back as floats.
"""

from __future__ import annotations

import math
import zlib
from typing import Any, Final

import msgspec

from runar.events import AnyEvent, MetricsLogged, SummarySet, Unknown

CRC_PREFIX: Final = b',"crc":"'
CRC_SUFFIX_LEN: Final = len(CRC_PREFIX) + 8 + 2  # ,"crc":" + 8 hex + "}

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyEvent, strict=False)
_batch_decoder = msgspec.json.Decoder(list[AnyEvent], strict=False)
_raw_decoder = msgspec.json.Decoder()
_FLOAT_VALUED = (MetricsLogged, SummarySet)
_DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError, ValueError)


def _finite_or_text(value: float) -> float | str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def encode_json(event: AnyEvent) -> bytes:
    """The event's JSON object, non-finite metric values spelled out."""
    body = _encoder.encode(event)
    if b"null" in body and isinstance(event, _FLOAT_VALUED):
        values = {k: _finite_or_text(float(v)) for k, v in event.values.items()}
        body = _encoder.encode(msgspec.structs.replace(event, values=values))  # type: ignore[arg-type]
    return body


def frame(body: bytes) -> bytes:
    """Append the checksum member and the newline to an encoded JSON object."""
    head = body[:-1]
    return b'%s%s%08x"}\n' % (head, CRC_PREFIX, zlib.crc32(head))


def encode_line(event: AnyEvent) -> bytes:
    """One complete framed line, newline included."""
    return frame(encode_json(event))


def is_intact(line: bytes) -> bool:
    """True when a line (without its newline) carries a matching checksum."""
    if len(line) <= CRC_SUFFIX_LEN or line[-CRC_SUFFIX_LEN:-10] != CRC_PREFIX:
        return False
    if line[-2:] != b'"}':
        return False
    try:
        expected = int(line[-10:-2], 16)
    except ValueError:
        return False
    return zlib.crc32(line[:-CRC_SUFFIX_LEN]) == expected


def decode_line(line: bytes) -> AnyEvent | Unknown | None:
    """Decode one intact line; an unknown type becomes Unknown, a bad shape None."""
    try:
        return _decoder.decode(line)
    except _DECODE_ERRORS:
        pass
    try:
        raw: Any = _raw_decoder.decode(line)
    except _DECODE_ERRORS:
        return None
    if not isinstance(raw, dict):
        return None
    raw.pop("crc", None)
    envelope = {k: raw.get(k) for k in ("writer", "seq", "ts")}
    return Unknown(
        raw=raw,
        writer=envelope["writer"] if isinstance(envelope["writer"], str) else "",
        seq=envelope["seq"] if isinstance(envelope["seq"], int) else 0,
        ts=envelope["ts"] if isinstance(envelope["ts"], int) else 0,
    )


def decode_lines(lines: list[bytes]) -> list[AnyEvent | Unknown | None]:
    """Decode intact lines in one call when all are known; line by line otherwise."""
    if not lines:
        return []
    try:
        return _batch_decoder.decode(b"[" + b",".join(lines) + b"]")  # type: ignore[return-value]
    except _DECODE_ERRORS:
        return [decode_line(line) for line in lines]


def encode_lines(events: list[AnyEvent]) -> bytes:
    """Framed lines for several events, concatenated; one encoder call for the batch."""
    body = _encoder.encode_lines(events)
    lines = body.split(b"\n")
    lines.pop()  # encode_lines ends with a newline
    if b"null" in body:
        lines = [
            encode_json(e) if b"null" in line else line
            for e, line in zip(events, lines, strict=True)
        ]
    crc = zlib.crc32
    return b"".join([b'%s,"crc":"%08x"}\n' % (h, crc(h)) for h in [line[:-1] for line in lines]])
