"""segment.py: sealing into independent checksummed zstd frames, atomically."""

from __future__ import annotations

from pathlib import Path

import zstandard

from runar import codec
from runar.events import NoteAdded
from runar.journal import list_segments, read_run, seal
from runar.journal.reader import decompress_frames
from runar.journal.segment import compress_frames


def lines(n: int, start: int = 1, text: str = "x") -> bytes:
    return b"".join(
        codec.encode_line(NoteAdded(text=text, writer="w-1", seq=i, ts=i))
        for i in range(start, start + n)
    )


def test_seal_replaces_plain_with_sealed_copy(tmp_path: Path) -> None:
    plain = tmp_path / "w-1.000001.jsonl"
    data = lines(100)
    plain.write_bytes(data)
    sealed = seal(plain)
    assert sealed.name == "w-1.000001.jsonl.zst" and not plain.exists()
    assert not list(tmp_path.glob("*.tmp"))
    assert decompress_frames(sealed.read_bytes()) == (data, 0)


def test_seal_drops_only_a_torn_tail(tmp_path: Path) -> None:
    plain = tmp_path / "w-1.000001.jsonl"
    plain.write_bytes(lines(3) + b'{"type":"no')
    assert decompress_frames(seal(plain).read_bytes()) == (lines(3), 0)


def test_sealed_file_is_several_frames_of_whole_lines(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("runar.journal.segment.FRAME_BYTES", 1000)
    data = lines(200, text="y" * 50)
    blob = compress_frames(data)
    assert blob.count(b"\x28\xb5\x2f\xfd") > 5
    # the pitfall: decompress() returns only the first of concatenated frames
    first = zstandard.ZstdDecompressor().decompress(blob)
    assert len(first) < len(data) and first.endswith(b"\n")
    assert decompress_frames(blob) == (data, 0)


def test_frames_carry_content_checksums() -> None:
    blob = compress_frames(lines(5))
    assert zstandard.get_frame_parameters(blob).has_checksum


def test_frame_failing_its_checksum_is_counted_and_its_lines_still_read(monkeypatch) -> None:
    monkeypatch.setattr("runar.journal.segment.FRAME_BYTES", 1000)
    data = lines(100, text="z" * 40)
    frames = [compress_frames(chunk) for chunk in _chunks(data)]
    second = bytearray(frames[1])
    second[-2] ^= 0xFF  # inside the content checksum: only write_checksum catches this
    blob = frames[0] + bytes(second) + b"".join(frames[2:])
    out, damaged = decompress_frames(blob)
    assert damaged == 1
    assert out == data  # every line carries its own CRC, so the frame's lines are kept


def test_frame_with_damaged_content_keeps_offsets_of_the_frames_after_it(monkeypatch) -> None:
    monkeypatch.setattr("runar.journal.segment.FRAME_BYTES", 1000)
    data = lines(100, text="z" * 40)
    chunks = _chunks(data)
    frames = [compress_frames(chunk) for chunk in chunks]
    second = bytearray(frames[1])
    second[len(second) // 2] ^= 0x55
    out, damaged = decompress_frames(frames[0] + bytes(second) + b"".join(frames[2:]))
    assert damaged == 1
    assert len(out) == len(data) and out.endswith(b"".join(chunks[2:]))
    good, _, _ = codec.split_framed(out)
    assert set(good) - set(data.split(b"\n")) == set()  # nothing invented


def test_truncated_last_frame_is_counted_and_complete_frames_read() -> None:
    head, tail = lines(50, text="a" * 30), lines(50, start=51, text="b" * 30)
    blob = compress_frames(head) + compress_frames(tail)
    out, damaged = decompress_frames(blob[:-7])
    assert damaged == 1
    assert out.startswith(head) and out.endswith(b"\n")
    good, _, bad = codec.split_framed(out)
    assert bad == 0 and len(good) >= 50


def test_garbage_between_frames_is_skipped() -> None:
    blob = compress_frames(lines(3)) + b"junk" + compress_frames(lines(3, start=4))
    assert decompress_frames(blob) == (lines(6), 1)


def test_list_segments_prefers_sealed_and_ignores_tmp(tmp_path: Path) -> None:
    (tmp_path / "w-1.000001.jsonl").write_bytes(lines(2))
    (tmp_path / "w-1.000001.jsonl.zst").write_bytes(compress_frames(lines(2)))
    (tmp_path / "w-1.000002.jsonl").write_bytes(lines(1, start=3))
    (tmp_path / "w-1.000002.jsonl.zst.tmp").write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("x")
    segs = list_segments(tmp_path)
    assert [(s.number, s.sealed) for s in segs] == [(1, True), (2, False)]
    assert [e.seq for e in read_run(tmp_path).events] == [1, 2, 3]


def test_a_listing_that_misses_a_sealing_segment_is_taken_again(
    tmp_path: Path, monkeypatch
) -> None:
    import runar.journal.segment as segment

    for n in (1, 2, 3):
        (tmp_path / f"w-1.00000{n}.jsonl").write_bytes(lines(1, start=n))
    real, calls = segment._list_once, []

    def racing(run_dir: Path) -> list:  # the first pass ran while segment 2 was being sealed
        calls.append(1)
        found = real(run_dir)
        return [s for s in found if s.number != 2] if len(calls) == 1 else found

    monkeypatch.setattr(segment, "_list_once", racing)
    assert [s.number for s in list_segments(tmp_path)] == [1, 2, 3]


def test_a_lasting_hole_in_a_writers_segments_is_listed_as_it_is(tmp_path: Path) -> None:
    for n in (1, 3):
        (tmp_path / f"w-1.00000{n}.jsonl").write_bytes(lines(1, start=n))
    assert [s.number for s in list_segments(tmp_path)] == [1, 3]


def _chunks(data: bytes) -> list[bytes]:
    """The whole-line chunks compress_frames cuts ``data`` into at FRAME_BYTES=1000."""
    out, start = [], 0
    while start < len(data):
        end = min(start + 1000, len(data))
        if end < len(data):
            end = data.rfind(b"\n", start, end) + 1
        out.append(data[start:end])
        start = end
    return out


def test_fake_frame_headers_cannot_make_the_reader_pad_without_bound(monkeypatch) -> None:
    monkeypatch.setattr("runar.journal.reader.PAD_BUDGET_BYTES", 4 << 20)
    # magic, a single-segment descriptor with an 8-byte content size: "1 MiB follows"
    fake = b"\x28\xb5\x2f\xfd\xe0" + (1 << 20).to_bytes(8, "little") + b"junkjunk"
    out, damaged = decompress_frames(fake * 50 + compress_frames(lines(3)))
    assert damaged == 50 and len(out) <= (4 << 20) + len(lines(3))
    assert out.endswith(lines(3))
