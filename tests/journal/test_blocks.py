"""Block framing (codec.encode_blocks): round trip, cuts, live reads, flips, frames, writer."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar import codec
from runar.events import AnyEvent, MetricsLogged, NoteAdded, WriterOpened
from runar.journal import JournalWriter, SegmentFile, read_run, read_segment
from runar.journal.policy import FlushPolicy
from runar.journal.reader import decompress_frames
from runar.journal.segment import compress_frames

from .strategies import events, same

NAME = "w-1.000001.jsonl"
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL_BLOCK = 200  # bytes: many blocks from a few events


@pytest.fixture(autouse=True)
def small_blocks() -> Iterator[None]:
    saved = codec.BLOCK_BYTES
    codec.BLOCK_BYTES = SMALL_BLOCK  # type: ignore[misc]
    yield
    codec.BLOCK_BYTES = saved  # type: ignore[misc]


def header() -> bytes:
    opened = WriterOpened(run_id="r", role="sdk", host="h", pid=1, writer="w-1", seq=1, ts=1)
    return codec.encode_line(opened)


def stamp(evs: list[AnyEvent]) -> list[AnyEvent]:
    for i, e in enumerate(evs, start=2):
        e.writer, e.seq, e.ts = "w-1", i, i
    return evs


def segment(evs: list[AnyEvent]) -> bytes:
    """A segment as the writer makes it: a framed header line, then blocks."""
    return header() + codec.encode_blocks(stamp(evs))


def block_spans(data: bytes) -> list[tuple[int, int, list[int]]]:
    """(start, end, seqs) of every block, trailer included, from a clean segment."""
    spans = []
    pos = len(header())
    seq = 2
    while pos < len(data):
        end = data.index(b"\n", data.index(b'\n{"block":', pos) + 1) + 1
        lines = data[pos:end].split(b"\n")[:-2]  # the block's lines, not its trailer
        count = len(codec.decode_lines(lines))  # a MetricsColumns line holds many events
        spans.append((pos, end, list(range(seq, seq + count))))
        seq += count
        pos = end
    return spans


def fresh_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="runar-blocks-"))


def read_data(data: bytes, sealed: bool = False) -> tuple[list[int], int, int]:
    folder = fresh_dir()
    try:
        path = folder / (NAME + (".zst" if sealed else ""))
        path.write_bytes(compress_frames(data) if sealed else data)
        got = read_segment(SegmentFile("r", "w-1", 1, path, sealed, len(data)))
        return [e.seq for e in got.events], got.end, got.corrupt
    finally:
        shutil.rmtree(folder)


@PROPS
@given(st.lists(events, min_size=1, max_size=15), st.booleans())
def test_written_then_read_equals_original(evs: list[AnyEvent], sealed: bool) -> None:
    data = segment(evs)
    folder = fresh_dir()
    try:
        path = folder / (NAME + (".zst" if sealed else ""))
        path.write_bytes(compress_frames(data) if sealed else data)
        got = read_run(folder)
        assert got.corrupt == 0 and len(got.events) == len(evs) + 1
        assert all(same(a, b) for a, b in zip(evs, got.events[1:], strict=True))
    finally:
        shutil.rmtree(folder)


@PROPS
@given(st.lists(events, min_size=1, max_size=12), st.floats(0, 1))
def test_cut_keeps_whole_blocks_before_it_and_nothing_else(
    evs: list[AnyEvent], where: float
) -> None:
    data = segment(evs)
    cut = int(where * len(data))
    seqs, end, corrupt = read_data(data[:cut])
    done = [(stop, ids) for _, stop, ids in block_spans(data) if stop <= cut]
    head = [1] if cut >= len(header()) else []
    assert seqs == head + [s for _, ids in done for s in ids] and corrupt == 0
    assert end == (done[-1][0] if done else len(header()) if head else 0)  # a later read resumes


@PROPS
@given(st.lists(events, min_size=1, max_size=15), st.lists(st.floats(0, 1), max_size=6))
def test_live_reads_at_any_growth_points_equal_one_read(
    evs: list[AnyEvent], growth: list[float]
) -> None:
    data = segment(evs)
    offset, seqs = 0, []
    for cut in [*sorted(int(g * len(data)) for g in growth), len(data)]:
        got, end, corrupt = read_data(data[:cut][offset:])
        assert corrupt == 0
        seqs += got
        offset += end
    assert seqs == list(range(1, len(evs) + 2)) and offset == len(data)


def test_a_flipped_byte_costs_at_most_its_block_and_is_counted() -> None:
    evs = [MetricsLogged(values={"loss": 1 / n, "acc": 0.5}, step=n) for n in range(1, 60)]
    data = segment(evs)
    spans = block_spans(data)
    everything = set(range(1, len(evs) + 2))
    rng = random.Random(7)
    for at in rng.sample(range(len(header()), len(data)), 300):
        damaged = bytearray(data)
        damaged[at] ^= 1 << rng.randrange(8)
        seqs, _, corrupt = read_data(bytes(damaged))
        n = next(i for i, (start, stop, _) in enumerate(spans) if start <= at < stop)
        lost = everything - set(seqs)
        assert set(seqs) <= everything, f"flip at {at}: an event was invented"
        assert lost <= set(spans[n][2]), f"flip at {at}: more than its block was lost"
        last = n == len(spans) - 1  # a last block that lost its trailer is a torn tail
        assert corrupt >= 1 or not lost or last, f"flip at {at}: loss not counted"


def test_per_line_framed_lines_and_blocks_share_a_file() -> None:
    notes = [NoteAdded(text=f"n{i}") for i in range(5)]
    for i, e in enumerate(notes, start=1):
        e.writer, e.seq, e.ts = "w-1", i, i
    later = [NoteAdded(text=f"m{i}") for i in range(5)]
    for i, e in enumerate(later, start=6):
        e.writer, e.seq, e.ts = "w-1", i, i
    data = codec.encode_lines(notes) + codec.encode_blocks(later) + codec.encode_lines(notes[:1])
    seqs, end, corrupt = read_data(data)
    assert seqs == [*range(1, 11), 1] and end == len(data) and corrupt == 0


def test_garbage_after_the_last_block_is_damage_not_a_wait() -> None:
    data = segment([NoteAdded(text="a"), NoteAdded(text="b")])
    seqs, end, corrupt = read_data(data + b"\x00garbage\n")
    assert seqs == [1, 2, 3] and corrupt == 1 and end == len(data) + 9


def test_frames_end_after_a_trailer(monkeypatch: pytest.MonkeyPatch) -> None:
    import runar.journal.segment as segment_module

    monkeypatch.setattr(segment_module, "FRAME_BYTES", 1000)
    evs = [MetricsLogged(values={"loss": 1 / n}, step=n) for n in range(1, 200)]
    data = header() + codec.encode_blocks(stamp(evs), columns=False)  # many small blocks
    blob = compress_frames(data)
    frames = blob.split(b"\x28\xb5\x2f\xfd")[1:]
    assert len(frames) > 3
    for piece in frames[:-1]:
        text, _ = decompress_frames(b"\x28\xb5\x2f\xfd" + piece)
        assert text.rsplit(b"\n", 2)[-2].startswith(b'{"block":')
    assert read_data(data, sealed=True) == (list(range(1, 201)), len(data), 0)


def test_writer_writes_blocks_that_read_back_in_order(tmp_path: Path) -> None:
    policy = FlushPolicy(flush_interval_s=60, fsync_interval_s=60)
    with JournalWriter(tmp_path, "r", role="sdk", policy=policy) as writer:
        for n in range(500):
            writer.append(MetricsLogged(values={"loss": float(n), "x": float("nan")}, step=n))
            if n % 97 == 0:
                writer.flush()
        writer.flush(durable=True)
        plain = next(tmp_path.glob("*.jsonl")).read_bytes()
        blocks = plain.count(b'\n{"block":')
        assert 5 < blocks <= 260 and plain.count(b'"crc"') == blocks + 1  # + the header
    got = read_run(tmp_path)  # in time order: the header is stamped after the first append
    metrics = sorted((e for e in got.events if isinstance(e, MetricsLogged)), key=lambda e: e.seq)
    assert got.corrupt == 0 and sorted(e.seq for e in got.events) == list(range(1, 502))
    assert [e.step for e in metrics] == list(range(500))


def test_an_unknown_event_inside_a_block_is_kept_as_unknown() -> None:
    from runar.events import Unknown

    known = stamp([NoteAdded(text="a"), NoteAdded(text="b")])
    lines = codec.encode_blocks(known).split(b"\n")
    newer = b'{"type":"quantum","writer":"w-1","seq":9,"ts":9,"qubits":[0,1]}'
    body = lines[0] + b"\n" + newer + b"\n" + lines[1] + b"\n"
    head = b'{"block":%d' % len(body)
    data = header() + body + head
    data += b',"crc":"%08x"}\n' % codec.zlib.crc32(head, codec.zlib.crc32(body))
    seqs, end, corrupt = read_data(data)
    assert seqs == [1, 2, 9, 3] and corrupt == 0 and end == len(data)
    folder = fresh_dir()
    try:
        (folder / NAME).write_bytes(data)
        got = read_run(folder).events
        assert isinstance(next(e for e in got if e.seq == 9), Unknown)
    finally:
        shutil.rmtree(folder)


def test_block_parts_are_views_of_one_body_each_followed_by_its_trailer() -> None:
    evs = stamp(
        [MetricsLogged(values={"loss": i / 7, "nan": float("nan")}, step=i) for i in range(40)]
    )
    parts = codec.encode_block_parts_of(evs)  # per-event lines: many small blocks
    blocks, trailers = parts[::2], parts[1::2]
    assert len(blocks) == len(trailers) > 1
    assert all(isinstance(b, memoryview) and b.obj is blocks[0].obj for b in blocks)  # no copy
    assert all(isinstance(t, bytes) and t.startswith(codec.BLOCK_PREFIX) for t in trailers)
    assert b"".join(parts) == codec.encode_blocks(evs, columns=False)
    assert len(codec.split_framed(b"".join(parts))[0]) == len(evs)
