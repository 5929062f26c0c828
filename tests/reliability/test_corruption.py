"""Random truncations, bit flips and garbage appends on plain and sealed segments.

The reader must never raise, must read every record the damage did not touch (for a
sealed file: every record of an untouched zstd frame), must never invent a record,
and must count what it skipped. Figure: mutations, records checked, records skipped.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

import pytest

from runar.codec import encode_line
from runar.events import MetricsLogged, WriterOpened
from runar.journal import SegmentFile, read_segment
from runar.journal.segment import compress_frames

from .conftest import Figure, size

RUN: Final = "0123456789abcdef"
WRITER: Final = "sdk-abcdefghij"
RECORDS: Final = 250
LINES_PER_FRAME: Final = 25  # small frames so one file holds many, as a 16 MiB segment does
KINDS: Final = ("truncate", "flip", "garbage")
Ids = set[tuple[str, int]]


def lines() -> list[bytes]:
    opened = WriterOpened(run_id=RUN, role="sdk", host="h", pid=1, writer=WRITER, seq=1, ts=1)
    out = [encode_line(opened)]
    for seq in range(2, RECORDS + 1):
        event = MetricsLogged(values={"loss": 1 / seq, "x": float("nan")}, step=seq)
        event.writer, event.seq, event.ts = WRITER, seq, seq
        out.append(encode_line(event))
    return out


def mutate(data: bytes, rng: random.Random) -> tuple[str, int, int, bytes]:
    """A damaged copy and the byte range [lo, hi) of the original it touched."""
    kind = rng.choice(KINDS)
    if kind == "truncate":
        cut = rng.randrange(len(data))
        return kind, cut, len(data), data[:cut]
    if kind == "flip":
        at = rng.randrange(len(data))
        damaged = bytearray(data)
        damaged[at] ^= 1 << rng.randrange(8)
        return kind, at, at + 1, bytes(damaged)
    garbage = rng.randbytes(rng.randrange(1, 300))
    if rng.random() < 0.5:
        garbage = garbage.replace(b"\x00", b"\n")  # garbage that looks like lines
    return kind, len(data), len(data), data + garbage


def untouched(spans: list[tuple[int, int, Ids]], lo: int, hi: int, kind: str) -> Ids:
    """Ids in spans that lie wholly before ``lo`` or after ``hi`` (after only for flips)."""
    keep: Ids = set()
    for start, end, ids in spans:
        if end <= lo or (kind == "flip" and start >= hi):
            keep |= ids
    return keep


def check(seg_path: Path, sealed: bool, data: bytes, spans: list, rng: random.Random) -> tuple:
    kind, lo, hi, damaged = mutate(data, rng)
    seg_path.write_bytes(damaged)
    seg = SegmentFile(RUN, WRITER, 1, seg_path, sealed, len(damaged))
    got = read_segment(seg)  # must not raise
    read = {(e.writer, e.seq) for e in got.events}
    everything = set().union(*(ids for _, _, ids in spans))
    if kind == "flip" and not sealed:
        must = everything - lost_by_flip(spans, lo)
    else:
        must = untouched(spans, lo, hi, kind)
    assert must <= read, f"{kind} at {lo}: an undamaged record was not read"
    assert read <= everything, f"{kind} at {lo}: a record was invented"
    if kind == "flip":
        assert got.corrupt >= 1 or read == everything, f"flip at {lo}: loss not counted"
    if kind == "flip" and not sealed:
        assert read == must, f"flip at {lo}: more than the damaged line was skipped"
    if kind == "garbage":
        garbage = damaged[len(data) :]
        complete = garbage[: garbage.rfind(b"\n") + 1].split(b"\n")[:-1]
        expected = 1 if sealed else sum(1 for line in complete if line)
        assert read == everything, "garbage after the last record cost a record"
        assert got.corrupt == expected, "garbage not counted as damage"
    return len(everything), len(everything - read)


def lost_by_flip(spans: list[tuple[int, int, Ids]], at: int) -> Ids:
    """Ids of the line holding byte ``at``; a flipped newline merges it with the next."""
    for n, (start, end, ids) in enumerate(spans):
        if start <= at < end:
            merged = spans[n + 1][2] if at == end - 1 and n + 1 < len(spans) else set()
            return ids | merged
    return set()


def plain_file() -> tuple[bytes, list[tuple[int, int, Ids]]]:
    spans, pos = [], 0
    for line in lines():
        event_id = (WRITER, len(spans) + 1)
        spans.append((pos, pos + len(line), {event_id}))
        pos += len(line)
    return b"".join(lines()), spans


def sealed_file() -> tuple[bytes, list[tuple[int, int, Ids]]]:
    all_lines = lines()
    spans, blob = [], b""
    for first in range(0, len(all_lines), LINES_PER_FRAME):
        chunk = all_lines[first : first + LINES_PER_FRAME]
        frame = compress_frames(b"".join(chunk))
        ids = {(WRITER, first + n + 1) for n in range(len(chunk))}
        spans.append((len(blob), len(blob) + len(frame), ids))
        blob += frame
    return blob, spans


@pytest.mark.timeout(600)
@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_reader_survives_random_damage(tmp_path: Path, figure: Figure, sealed: bool) -> None:
    rng = random.Random(1234 + sealed)
    data, spans = sealed_file() if sealed else plain_file()
    path = tmp_path / (f"{WRITER}.000001.jsonl" + (".zst" if sealed else ""))
    mutations = size(500, 5000)  # x2 kinds of segment: 1,000 in CI, 10,000 in full
    checked = skipped = 0
    for _ in range(mutations):
        total, lost = check(path, sealed, data, spans, rng)
        checked += total
        skipped += lost
    figure(
        segment="sealed" if sealed else "plain",
        mutations=mutations,
        records_checked=checked,
        records_skipped=skipped,
        reader_errors=0,
    )
