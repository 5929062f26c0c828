"""reader.py: every on-disk state, torn and damaged lines, offsets, and cut-anywhere."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar import codec
from runar.events import AnyEvent, NoteAdded
from runar.journal import SegmentFile, list_segments, read_run, read_segment
from runar.journal.reader import ZSTD_MAGIC
from runar.journal.segment import compress_frames, seal

from .strategies import events, same

NAME = "w-1.000001.jsonl"


def stamp(evs: list[AnyEvent]) -> list[AnyEvent]:
    for i, e in enumerate(evs, start=1):
        e.writer, e.seq, e.ts = "w-1", i, i
    return evs


def notes(n: int) -> bytes:
    return codec.encode_lines(stamp([NoteAdded(text=f"n{i}") for i in range(n)]))


def seqs(run: Path) -> list[int]:
    return [e.seq for e in read_run(run).events]


@pytest.mark.parametrize(
    "files",
    [
        {NAME: "plain"},
        {NAME: "plain", NAME + ".zst.tmp": "half"},
        {NAME: "plain", NAME + ".zst": "sealed"},
        {NAME + ".zst": "sealed"},
        {NAME + ".zst": "sealed", NAME + ".zst.tmp": "half"},
    ],
    ids=["plain", "plain+tmp", "plain+sealed", "sealed", "sealed+tmp"],
)
def test_every_sealing_state_reads_each_event_once(tmp_path: Path, files: dict[str, str]) -> None:
    data = notes(10)
    content = {"plain": data, "sealed": compress_frames(data), "half": compress_frames(data)[:9]}
    for name, kind in files.items():
        (tmp_path / name).write_bytes(content[kind])
    got = read_run(tmp_path)
    assert [e.seq for e in got.events] == list(range(1, 11)) and got.corrupt == 0


def test_empty_file_is_nothing(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"")
    assert read_run(tmp_path).events == [] and read_run(tmp_path).corrupt == 0


def test_missing_run_folder_is_nothing(tmp_path: Path) -> None:
    assert read_run(tmp_path / "nope").events == []


def test_torn_last_line_waits_and_is_read_later_from_same_offset(tmp_path: Path) -> None:
    data = notes(3)
    plain = tmp_path / NAME
    plain.write_bytes(data[:-5])
    (seg,) = list_segments(tmp_path)
    first = read_segment(seg)
    assert [e.seq for e in first.events] == [1, 2] and first.corrupt == 0
    with open(plain, "ab") as out:
        out.write(data[-5:])
    again = read_segment(seg, first.end)
    assert [e.seq for e in again.events] == [3] and again.end == len(data)


def test_damaged_complete_line_is_counted_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    lines = notes(5).splitlines(keepends=True)
    lines[2] = lines[2].replace(b"n2", b"N2")
    (tmp_path / NAME).write_bytes(b"".join(lines))
    got = read_run(tmp_path)
    assert [e.seq for e in got.events] == [1, 2, 4, 5] and got.corrupt == 1


def test_damaged_line_inside_sealed_segment(tmp_path: Path) -> None:
    lines = notes(5).splitlines(keepends=True)
    lines[0] = b"garbage\n"
    (tmp_path / (NAME + ".zst")).write_bytes(compress_frames(b"".join(lines)))
    got = read_run(tmp_path)
    assert [e.seq for e in got.events] == [2, 3, 4, 5] and got.corrupt == 1


def test_hostile_lines_count_as_damage(tmp_path: Path) -> None:
    hostile = [
        codec.frame(b'{"type":"note","text":"\xff"}'),
        codec.frame(b"[" * 100_000 + b"}"),
    ]
    (tmp_path / NAME).write_bytes(notes(1) + b"".join(hostile) + notes(2)[len(notes(1)) :])
    got = read_run(tmp_path)
    assert [e.seq for e in got.events] == [1, 2] and got.corrupt == 2


def test_duplicates_across_segments_count_once(tmp_path: Path) -> None:
    data = notes(4)
    (tmp_path / NAME).write_bytes(data[: data.index(b"\n") + 1] + data)
    (tmp_path / "w-1.000002.jsonl").write_bytes(data)  # a rewrite after a failed fsync
    assert seqs(tmp_path) == [1, 2, 3, 4]


def test_offset_survives_sealing(tmp_path: Path) -> None:
    data = notes(6)
    (tmp_path / NAME).write_bytes(data)
    half = read_segment(list_segments(tmp_path)[0])
    (tmp_path / (NAME + ".zst")).write_bytes(compress_frames(data + notes(8)[len(data) :]))
    (tmp_path / NAME).unlink()
    rest = read_segment(list_segments(tmp_path)[0], half.end)
    assert [e.seq for e in rest.events] == [7, 8]


def test_offset_survives_sealing_and_a_damaged_frame_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runar.journal.segment.FRAME_BYTES", 600)
    data = notes(60)
    (tmp_path / NAME).write_bytes(data[: data.index(b'"seq":41,') - 1])
    checkpoint = read_segment(list_segments(tmp_path)[0]).end  # taken while plain
    (tmp_path / NAME).write_bytes(data)  # the writer finished the segment...
    sealed = seal(tmp_path / NAME)  # ...and sealed it
    blob = bytearray(sealed.read_bytes())
    second = blob.index(ZSTD_MAGIC, 1)
    blob[second + 40] ^= 0xFF  # a disk error inside frame 2, long before the checkpoint
    sealed.write_bytes(bytes(blob))
    everything = read_segment(list_segments(tmp_path)[0])
    rest = read_segment(list_segments(tmp_path)[0], checkpoint)
    assert everything.corrupt >= 1 and len(everything.events) < 60
    assert [e.seq for e in rest.events] == list(range(41, 61))


def _fresh_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="runar-prop-"))


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.lists(events, min_size=1, max_size=15), st.booleans())
def test_written_then_read_equals_original(evs: list[AnyEvent], sealed: bool) -> None:
    folder = _fresh_dir()
    try:
        data = codec.encode_lines(stamp(evs))
        path = folder / (NAME + (".zst" if sealed else ""))
        path.write_bytes(compress_frames(data) if sealed else data)
        got = read_run(folder)
        assert got.corrupt == 0 and len(got.events) == len(evs)
        assert all(same(a, b) for a, b in zip(evs, got.events, strict=True))
    finally:
        shutil.rmtree(folder)


@PROPS
@given(st.lists(events, min_size=1, max_size=12), st.floats(0, 1), st.booleans())
def test_cut_loses_only_events_after_it(evs: list[AnyEvent], where: float, sealed: bool) -> None:
    folder = _fresh_dir()
    try:
        data = codec.encode_lines(stamp(evs))
        if sealed:
            blob = compress_frames(data)
            cut = int(where * len(blob))
            (folder / (NAME + ".zst")).write_bytes(blob[:cut])
        else:
            cut = int(where * len(data))
            (folder / NAME).write_bytes(data[:cut])
        got = read_run(folder)
        complete = data[:cut].count(b"\n") if not sealed else None
        kept = [e.seq for e in got.events]
        assert kept == list(range(1, len(kept) + 1))  # a prefix, never a gap
        if complete is not None:
            assert len(kept) == complete and got.corrupt == 0
        assert all(same(a, b) for a, b in zip(evs, got.events, strict=False))
    finally:
        shutil.rmtree(folder)


@PROPS
@given(st.lists(events, min_size=1, max_size=15), st.lists(st.floats(0, 1), max_size=6))
def test_live_reads_at_any_growth_points_equal_one_read(
    evs: list[AnyEvent], growth: list[float]
) -> None:
    folder = _fresh_dir()
    try:
        data = codec.encode_lines(stamp(evs))
        path = folder / NAME
        cuts = [*sorted(int(g * len(data)) for g in growth), len(data)]
        offset, got = 0, []
        for cut in cuts:
            path.write_bytes(data[:cut])  # the writer's file grows, maybe mid-line
            (seg,) = list_segments(folder)
            read = read_segment(seg, offset)
            assert read.corrupt == 0
            got.extend(read.events)
            offset = read.end
        assert len(got) == len(evs)
        assert all(same(a, b) for a, b in zip(evs, got, strict=True))
    finally:
        shutil.rmtree(folder)


def framed(evs: list[AnyEvent], sizes: list[int]) -> tuple[list[bytes], list[list[AnyEvent]]]:
    """A sealed file's frames, each of whole lines, cut into groups of ``sizes`` events."""
    frames, groups, at = [], [], 0
    for size in [*sizes, len(evs)]:
        group = evs[at : at + max(size, 1)]
        if group:
            frames.append(compress_frames(codec.encode_lines(group)))
            groups.append(group)
        at += len(group)
    return frames, groups


@PROPS
@given(
    st.lists(events, min_size=2, max_size=30),
    st.lists(st.integers(1, 8), max_size=6),
    st.floats(0, 1),
)
def test_cut_sealed_file_keeps_every_frame_before_it(
    evs: list[AnyEvent], sizes: list[int], where: float
) -> None:
    frames, groups = framed(stamp(evs), sizes)
    blob = b"".join(frames)
    cut = int(where * len(blob))
    ends = [sum(map(len, frames[: n + 1])) for n in range(len(frames))]
    whole = sum(len(g) for g, end in zip(groups, ends, strict=True) if end <= cut)
    folder = _fresh_dir()
    try:
        (folder / (NAME + ".zst")).write_bytes(blob[:cut])
        got = read_run(folder)
    finally:
        shutil.rmtree(folder)
    kept = [e.seq for e in got.events]
    assert kept == list(range(1, len(kept) + 1))  # a prefix, never a gap
    partial = next((len(g) for g, end in zip(groups, ends, strict=True) if end > cut), 0)
    assert whole <= len(kept) <= whole + partial  # never fewer than the whole frames
    assert all(same(a, b) for a, b in zip(evs, got.events, strict=False))
    assert got.corrupt == (0 if cut == 0 or cut in ends else 1)


@PROPS
@given(
    st.lists(events, min_size=2, max_size=30),
    st.lists(st.integers(1, 8), min_size=1, max_size=6),
    st.data(),
)
def test_damaged_frame_costs_only_its_own_events(
    evs: list[AnyEvent], sizes: list[int], data: st.DataObject
) -> None:
    import zstandard

    frames, groups = framed(stamp(evs), sizes)
    hit = data.draw(st.integers(0, len(frames) - 1), label="frame")
    damaged = bytearray(frames[hit])
    at = data.draw(st.integers(zstandard.frame_header_size(frames[hit]), len(damaged) - 1))
    damaged[at] ^= data.draw(st.integers(1, 255), label="xor")
    blob = b"".join(frames[:hit]) + bytes(damaged) + b"".join(frames[hit + 1 :])
    seg = SegmentFile("r", "w-1", 1, _fresh_dir() / (NAME + ".zst"), True, len(blob))
    try:
        seg.path.write_bytes(blob)
        got = read_segment(seg)
    finally:
        shutil.rmtree(seg.path.parent)
    others = {e.seq for n, g in enumerate(groups) if n != hit for e in g}
    read = [e.seq for e in got.events]
    assert others <= set(read) <= {e.seq for e in evs}
    assert got.corrupt >= 1 or len(read) == len(evs)
    if hit < len(frames) - 1:  # offsets into the uncompressed stream stay true after it
        assert got.end == len(codec.encode_lines(evs))
