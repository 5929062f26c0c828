"""Event ⇄ framed JSON lines: checked one by one, or a block at a time.

Two framings, both plain JSON lines for other tools, may share a file:

* a framed line (format 1, and every segment header): the event's JSON object with
  a last member ``"crc":"xxxxxxxx"`` — the CRC-32 (zlib) of every byte before that
  member, as 8 lowercase hex digits — then ``\\n``;
* a block (what the writer appends since): bare JSON lines, then one trailer line
  ``{"block":B,"crc":"xxxxxxxx"}`` where B is the byte length of the lines before it
  and the CRC covers those B bytes and then the trailer's bytes up to its ``,"crc"``.
  One CRC per block instead of per line is what makes encoding cheap; a damaged byte
  costs its block (at most ``BLOCK_BYTES``), and a block without its trailer at the
  end of the data is not written yet: never read, left for a later read.

JSON escapes newlines inside strings, so a raw ``\\n`` only ever ends a line: it is
the resync point after damage; a trailer is only one at the start of a line.

msgspec writes NaN and ±inf as ``null``; metric values are therefore re-encoded as
the strings "nan"/"inf"/"-inf", which the lax decoder reads back as floats.

Framing and checking run as C-level ``map`` pipelines over whole batches rather
than a Python loop per line: that loop used to cost more than the JSON itself.
"""

from __future__ import annotations

import gc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from operator import eq, itemgetter, methodcaller
from typing import Any, Final

import msgspec

from runar.events import AnyEvent, MetricsColumns, MetricsLogged, SummarySet, Unknown
from runar.metric_columns import collapse_metrics, expand_all, finite_or_text

CRC_PREFIX: Final = b',"crc":"'
BLOCK_PREFIX: Final = b'{"block":'
BLOCK_MARK: Final = b"\n" + BLOCK_PREFIX  # a trailer starts a line
# A damaged byte costs the events of its block: ~100 four-key metric events at most.
BLOCK_BYTES: Final = 16 << 10
# An unchecked line at the end of block-framed data that looks like an event is the
# start of a block still being written, not damage.
_EVENT_START: Final = b'{"type":"'
CRC_SUFFIX_LEN: Final = len(CRC_PREFIX) + 8 + 2  # ,"crc":" + 8 hex + "}
_HEX: Final = frozenset(b"0123456789abcdef")

# The writer declares this in every segment's header: 2 since blocks may hold
# MetricsColumns records, which an older runar reads as Unknown events.
SEGMENT_FORMAT: Final = 2

_encoder = msgspec.json.Encoder()
_decoders: list[msgspec.json.Decoder[AnyEvent | MetricsColumns]] = []  # built on first use
_raw_decoder = msgspec.json.Decoder()
_FLOAT_VALUED = (MetricsLogged, SummarySet)
_DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError, ValueError)

_crc32: Final = zlib.crc32
_frame_tail: Callable[[int], bytes] = b',"crc":"%08x"}\n'.__mod__
_check_tail: Callable[[int], bytes] = b'%08x"}'.__mod__
_split_crc: Final = methodcaller("rpartition", CRC_PREFIX)
_head: Final = itemgetter(0)
_tail: Final = itemgetter(2)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: decoding and folding allocate many objects, never cyclic garbage.

    Without this, a batch of 100k events triggers hundreds of useless collections, each
    walking every event still held, and decoding runs 2-3x slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def encode_json(event: AnyEvent) -> bytes:
    """The event's JSON object, non-finite metric values spelled out."""
    body = _encoder.encode(event)
    if b"null" in body and isinstance(event, _FLOAT_VALUED):
        values = {k: finite_or_text(float(v)) for k, v in event.values.items()}
        body = _encoder.encode(msgspec.structs.replace(event, values=values))  # type: ignore[arg-type]
    return body


def frame(body: bytes) -> bytes:
    """Append the checksum member and the newline to an encoded JSON object."""
    head = body[:-1]
    return head + _frame_tail(_crc32(head))


def encode_line(event: AnyEvent) -> bytes:
    """One complete framed line, newline included."""
    return frame(encode_json(event))


def encode_lines(events: list[AnyEvent]) -> bytes:
    """Framed lines for several events, concatenated; one encoder call for the batch."""
    body = _encoder.encode_lines(events)
    if b"null" in body:
        lines = body.split(b"\n")
        lines.pop()  # encode_lines ends with a newline
        heads = [
            (encode_json(e) if b"null" in line else line)[:-1]
            for e, line in zip(events, lines, strict=True)
        ]
    else:
        heads = body.split(b"}\n")  # every line ends with the object's closing brace
        heads.pop()
    tails = map(_frame_tail, map(_crc32, heads))
    return b"".join(chain.from_iterable(zip(heads, tails, strict=True)))


def _bare_lines(events: list[AnyEvent]) -> bytes:
    """Every event's JSON object and a newline, non-finite metric values spelled out."""
    body = _encoder.encode_lines(events)
    if b"null" not in body:
        return body
    lines = body.split(b"\n")
    lines.pop()  # encode_lines ends with a newline
    lines = [
        encode_json(e) if b"null" in line else line for e, line in zip(events, lines, strict=True)
    ]
    lines.append(b"")
    return b"\n".join(lines)


def encode_block_parts(events: list[AnyEvent]) -> list[bytes | memoryview]:
    """The events as checked blocks, each a view of one encoded body followed by its trailer.

    One encoder call for the batch, and no copy of its bytes: the blocks are checksummed
    where they lie and go to the file with one writev. A block and its trailer are
    always adjacent, a block first. Runs of like metric events go as MetricsColumns.
    """
    return encode_block_parts_of(collapse_metrics(events))  # type: ignore[arg-type]


def encode_block_parts_of(events: list[AnyEvent]) -> list[bytes | memoryview]:
    """encode_block_parts without the columns: every event on its own line (format 1)."""
    body = _bare_lines(events)
    whole = memoryview(body)
    parts: list[bytes | memoryview] = []
    find = body.find
    size = len(body)
    pos = 0
    while pos < size:
        end = find(b"\n", pos + BLOCK_BYTES - 1) + 1 or size
        block = whole[pos:end]
        head = b'{"block":%d' % (end - pos)
        parts.append(block)
        parts.append(head + _frame_tail(_crc32(head, _crc32(block))))
        pos = end
    return parts


def encode_blocks(events: list[AnyEvent], columns: bool = True) -> bytes:
    """The events as checked blocks of bare lines, as one bytes object.

    Args:
        columns: write runs of like metric events as MetricsColumns records.
    """
    if columns:
        return b"".join(encode_block_parts(events))
    return b"".join(encode_block_parts_of(events))


def _block_size(trailer: bytes) -> int:
    """The byte length a trailer line (without its newline) declares; -1 when it is no trailer."""
    if len(trailer) <= CRC_SUFFIX_LEN or trailer[-CRC_SUFFIX_LEN:-10] != CRC_PREFIX:
        return -1
    digits = trailer[len(BLOCK_PREFIX) : -CRC_SUFFIX_LEN]
    if not digits.isdigit() or len(digits) > 12:
        return -1
    return int(digits)


def _trailer_matches(block: bytes, trailer: bytes) -> bool:
    if trailer[-2:] != b'"}' or not _HEX.issuperset(trailer[-10:-2]):
        return False
    head = trailer[:-CRC_SUFFIX_LEN]
    return _crc32(head, _crc32(block)) == int(trailer[-10:-2], 16)


def is_intact(line: bytes) -> bool:
    """True when a line (without its newline) carries a matching checksum."""
    if len(line) <= CRC_SUFFIX_LEN or line[-CRC_SUFFIX_LEN:-10] != CRC_PREFIX:
        return False
    if line[-2:] != b'"}' or not _HEX.issuperset(line[-10:-2]):
        return False
    return _crc32(line[:-CRC_SUFFIX_LEN]) == int(line[-10:-2], 16)


def check_lines(lines: list[bytes]) -> list[bool]:
    """For each line (without its newline): does it carry a matching checksum?"""
    parts = list(map(_split_crc, lines))
    return list(map(eq, map(_check_tail, map(_crc32, map(_head, parts))), map(_tail, parts)))


def split_framed(data: bytes) -> tuple[list[bytes], int, int]:
    """Intact complete lines of ``data``, the length of its complete part, and damaged count.

    A last line without ``\\n`` is not written yet and is neither returned nor counted.
    """
    cut = data.rfind(b"\n")
    if cut < 0:
        return [], 0, 0
    return _split_blocks(data, cut, chunks=False)


def split_framed_chunks(data: bytes) -> tuple[list[bytes], int, int]:
    """split_framed, but intact lines come in runs joined by ``\\n`` (for decode_chunks).

    A verified block is handed on as it lies in ``data``: no split into lines and join.
    """
    cut = data.rfind(b"\n")
    if cut < 0:
        return [], 0, 0
    return _split_blocks(data, cut, chunks=True)


def _checked(lines: list[bytes], good: list[bytes], chunks: bool) -> int:
    """Append the framed lines that are intact to ``good``; the count of damaged ones."""
    verdicts = check_lines(lines)
    damaged = 0
    if not all(verdicts):
        damaged = sum(1 for line, ok in zip(lines, verdicts, strict=True) if line and not ok)
        lines = [line for line, ok in zip(lines, verdicts, strict=True) if ok]
    if not chunks:
        good.extend(lines)
    elif lines:
        good.append(b"\n".join(lines))
    return damaged


def _is_bare(line: bytes) -> bool:
    """Does a line look like an event of a block rather than a framed line?"""
    return line.startswith(_EVENT_START) and line[-CRC_SUFFIX_LEN:-10] != CRC_PREFIX


def _split_blocks(data: bytes, cut: int, chunks: bool) -> tuple[list[bytes], int, int]:
    """split_framed: blocks, framed lines (a segment header, format 1) or both."""
    good: list[bytes] = []
    damaged = 0
    pos = 0  # the start of what is not yet accounted for; always a line start
    find = data.find
    while True:
        mark = find(BLOCK_MARK, pos)
        if mark < 0 or mark >= cut:
            break  # no trailer, or one still being written
        start = mark + 1
        end = find(b"\n", start)
        trailer = data[start:end]
        size = _block_size(trailer)
        first = start - size
        if size > 0 and first >= pos and _trailer_matches(data[first:start], trailer):
            if first > pos:  # lines before the block: framed ones or damage
                before = data[pos:first]
                lines = before[: -1 if before[-1] == 10 else None].split(b"\n")
                damaged += _checked(lines, good, chunks)
            if chunks:
                good.append(data[first:mark])
            else:
                good.extend(data[first:mark].split(b"\n"))
        elif size >= 0:  # a trailer whose block is damaged: its lines count, not it
            damaged += _checked(data[pos:mark].split(b"\n"), good, chunks)
        else:  # a line that only starts like a trailer, e.g. one merged with the next
            damaged += _checked(data[pos:mark].split(b"\n"), good, chunks)
            pos = start  # the next block may begin inside it
            continue
        pos = end + 1
    if pos > cut:
        return good, pos, damaged
    tail = data[pos:cut].split(b"\n")
    # bare lines up to the end are a block being written: read once its trailer is in
    pending = len(tail)
    while pending and _is_bare(tail[pending - 1]):
        pending -= 1
    if pending < len(tail):
        end = pos + sum(map(len, tail[:pending])) + pending
        del tail[pending:]
    else:
        end = cut + 1
    damaged += _checked(tail, good, chunks)
    return good, end, damaged


def _event_decoder() -> msgspec.json.Decoder[AnyEvent | MetricsColumns]:
    """The events' decoder, built on first use: msgspec compiles the whole tagged union
    (a few ms) and a process that only writes (the runner, a script that logs) never
    decodes. Two threads may both build one; either serves."""
    if not _decoders:
        _decoders.append(msgspec.json.Decoder(AnyEvent | MetricsColumns, strict=False))
    return _decoders[0]


def decode_line(line: bytes) -> AnyEvent | MetricsColumns | Unknown | None:
    """Decode one intact line; an unknown type or shape becomes Unknown, non-JSON None.

    A MetricsColumns line stays one record here (see metric_columns.expand_columns).
    """
    try:
        return _event_decoder().decode(line)
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


def _decode_batch(lines: list[bytes]) -> list[AnyEvent | MetricsColumns | Unknown | None]:
    if len(lines) == 1:
        return [decode_line(lines[0])]
    try:
        decoded: list[AnyEvent | MetricsColumns] = _event_decoder().decode_lines(b"\n".join(lines))
    except _DECODE_ERRORS:
        decoded = []
    if len(decoded) == len(lines):  # a line holding two objects must not shift the rest
        return decoded  # type: ignore[return-value]
    # halve until the odd lines are isolated: a few Unknown events cost a few
    # extra batch decodes instead of a line-by-line pass over the whole segment
    mid = len(lines) // 2
    return _decode_batch(lines[:mid]) + _decode_batch(lines[mid:])


def decode_chunks(chunks: list[bytes]) -> list[AnyEvent | Unknown | None]:
    """decode_lines for split_framed_chunks' runs of lines; a columns record as its events."""
    with paused_gc():
        return expand_all(decode_chunks_columns(chunks))


def decode_chunks_columns(
    chunks: list[bytes],
) -> list[AnyEvent | MetricsColumns | Unknown | None]:
    """decode_chunks with columns records kept whole (for a fold that takes them as they are)."""
    out: list[AnyEvent | MetricsColumns | Unknown | None] = []
    decoder = _event_decoder()
    with paused_gc():
        for chunk in chunks:
            try:
                decoded: list[AnyEvent] = decoder.decode_lines(chunk)
            except _DECODE_ERRORS:
                decoded = []
            if len(decoded) == chunk.count(b"\n") + 1:  # two objects on a line must not shift
                out.extend(decoded)
            else:
                out.extend(_decode_batch(chunk.split(b"\n")))
    return out


def decode_lines(lines: list[bytes]) -> list[AnyEvent | Unknown | None]:
    """Decode intact lines, in batches; one result per line (None for non-JSON).

    A MetricsColumns line gives the events it stands for, in its place.
    """
    if not lines:
        return []
    with paused_gc():
        return expand_all(_decode_batch(lines))
