"""TFRecord framing and CRC32C, on files tensorboardX writes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from runar.importers.tfrecord import (
    RecordDamage,
    crc32c,
    crc32c_python,
    iter_records,
    masked_crc32c,
    read_records,
)

tensorboardX = pytest.importorskip("tensorboardX")


def spans(blob: bytes) -> list[tuple[int, int]]:
    """(offset, data length) of every record of an intact file."""
    out, pos = [], 0
    while pos < len(blob):
        (length,) = struct.unpack_from("<Q", blob, pos)
        out.append((pos, length))
        pos += 12 + length + 4
    return out


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    writer = tensorboardX.SummaryWriter(str(tmp_path / "run"))
    for step in range(5):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.close()
    (path,) = (tmp_path / "run").glob("events.out.tfevents.*")
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [  # RFC 3720, B.4
        (bytes(32), 0x8A9136AA),
        (b"\xff" * 32, 0x62A8AB43),
        (bytes(range(32)), 0x46DD794E),
        (bytes(range(31, -1, -1)), 0x113FDB5C),
        (b"123456789", 0xE3069283),
    ],
)
def test_crc32c_matches_the_published_check_values(data, expected):
    assert crc32c_python(data) == expected
    assert crc32c(data) == expected


def test_every_record_of_a_real_event_file_passes_its_checks(event_file):
    records, damage = read_records(event_file)
    assert len(records) == 6  # the file_version event, then one per step
    assert damage == RecordDamage()


def test_masked_crc_is_what_the_writer_stored(event_file):
    blob = event_file.read_bytes()
    pos, length = spans(blob)[1]
    (stored,) = struct.unpack_from("<I", blob, pos + 12 + length)
    assert masked_crc32c(blob[pos + 12 : pos + 12 + length]) == stored


def test_a_truncated_tail_is_counted_and_the_records_before_it_kept(event_file):
    blob = event_file.read_bytes()
    cut = blob[:-3]
    damage = RecordDamage()
    records = [r for r in iter_records(cut, damage) if r.intact()]
    assert len(records) == 5
    assert damage.truncated_bytes == spans(blob)[-1][1] + 16 - 3


def test_a_flipped_data_byte_fails_only_that_record(event_file, tmp_path):
    blob = bytearray(event_file.read_bytes())
    pos, length = spans(bytes(blob))[3]
    blob[pos + 12 + length - 1] ^= 0x40  # inside the float of step 2
    damaged = tmp_path / "damaged"
    damaged.write_bytes(bytes(blob))
    records, damage = read_records(damaged)
    assert len(records) == 5
    assert damage.bad_crc == 1
    assert damage.bad_headers == 0


def test_a_damaged_length_is_skipped_up_to_the_next_good_header(event_file, tmp_path):
    blob = bytearray(event_file.read_bytes())
    layout = spans(bytes(blob))
    pos, length = layout[2]
    blob[pos] ^= 0x01  # the length no longer matches its CRC
    damaged = tmp_path / "damaged"
    damaged.write_bytes(bytes(blob))
    records, damage = read_records(damaged)
    assert len(records) == 5
    assert damage.bad_headers == 1
    assert damage.skipped_bytes == 12 + length + 4
