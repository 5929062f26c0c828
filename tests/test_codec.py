"""codec.py: framed lines, checksums, non-finite floats, hostile input."""

from __future__ import annotations

import math
import zlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journal.strategies import events, same

from runar import codec
from runar.events import ConfigSet, MetricsLogged, NoteAdded, SystemSampled, Unknown


def framed(body: bytes) -> bytes:
    """A line with a valid checksum around arbitrary bytes (to get past the CRC check)."""
    return codec.frame(body)[:-1]


def test_line_ends_with_crc_of_everything_before_it() -> None:
    line = codec.encode_line(NoteAdded(text="hi", writer="w-1", seq=1, ts=5))
    head, _, tail = line.rstrip(b"\n").rpartition(b',"crc":"')
    assert tail == b'%08x"}' % zlib.crc32(head)
    assert msgspec.json.decode(line)["text"] == "hi"  # still plain JSON for other tools


def test_batch_encoding_equals_one_by_one() -> None:
    batch = [MetricsLogged(values={"a": float(i), "b": math.nan}, step=i) for i in range(5)]
    batch.append(NoteAdded(text="x"))
    assert codec.encode_lines(batch) == b"".join(codec.encode_line(e) for e in batch)


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
)
def test_special_floats_survive_round_trip(value: float) -> None:
    # msgspec alone writes NaN/±inf as null: this test fails if that slips through
    line = codec.encode_lines([MetricsLogged(values={"v": value}, step=1)])
    (got,) = codec.decode_lines([line.rstrip(b"\n")])
    assert isinstance(got, MetricsLogged)
    assert math.isnan(got.values["v"]) if math.isnan(value) else got.values["v"] == value
    assert math.copysign(1, got.values["v"]) == math.copysign(1, value)


def test_flipped_bit_is_detected() -> None:
    line = codec.encode_line(NoteAdded(text="hello")).rstrip(b"\n")
    assert codec.is_intact(line)
    for i in range(len(line)):
        damaged = line[:i] + bytes([line[i] ^ 0x04]) + line[i + 1 :]
        assert not codec.is_intact(damaged)
        assert codec.check_lines([damaged]) == [False]


def test_check_lines_agrees_with_is_intact() -> None:
    good = codec.encode_line(NoteAdded(text="a")).rstrip(b"\n")
    cases = [good, good[:-1], b"", b"{}", b'{"crc":"zzzzzzzz"}', good.upper(), b"x" * 30]
    assert codec.check_lines(cases) == [codec.is_intact(c) for c in cases]


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":"note","text":"\xff\xfe"}',  # invalid UTF-8 raises UnicodeDecodeError
        b'{"type":"config","values":{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        b"[" * 100_000 + b"}",  # deep nesting raises RecursionError, not DecodeError
        b'{"type":"note","text":"a"',  # intact checksum, broken JSON
    ],
    ids=["invalid-utf8", "deep-valid", "deep-broken", "broken-json"],
)
def test_hostile_line_is_damaged_not_raised(body: bytes) -> None:
    line = framed(body)
    assert codec.is_intact(line)
    good = codec.encode_line(NoteAdded(text="ok")).rstrip(b"\n")
    got = codec.decode_lines([good, line, good])
    assert isinstance(got[0], NoteAdded) and isinstance(got[2], NoteAdded)
    assert got[1] is None or isinstance(got[1], Unknown)


def test_invalid_utf8_and_deep_nesting_give_none() -> None:
    assert codec.decode_line(framed(b'{"type":"note","text":"\xff"}')) is None
    assert codec.decode_line(framed(b"[" * 100_000 + b"}")) is None


def test_unknown_type_from_newer_runar_becomes_unknown() -> None:
    body = b'{"type":"hologram","writer":"w-1","seq":7,"ts":9,"beam":[1,2]}'
    got = codec.decode_lines([framed(body)])
    assert got == [
        Unknown(
            raw={"type": "hologram", "writer": "w-1", "seq": 7, "ts": 9, "beam": [1, 2]},
            writer="w-1",
            seq=7,
            ts=9,
        )
    ]


def test_unknown_field_from_newer_runar_is_ignored() -> None:
    body = b'{"type":"note","writer":"w-1","seq":2,"ts":3,"text":"t","mood":{"x":1}}'
    assert codec.decode_lines([framed(body)]) == [NoteAdded(text="t", writer="w-1", seq=2, ts=3)]


def test_one_odd_line_does_not_disturb_its_neighbours() -> None:
    lines = [codec.encode_line(NoteAdded(text=str(i), seq=i)).rstrip(b"\n") for i in range(50)]
    lines[17] = framed(b'{"type":"hologram","seq":17}')
    got = codec.decode_lines(lines)
    assert [e.seq for e in got if e is not None] == list(range(50))
    assert isinstance(got[17], Unknown)
    assert all(isinstance(e, NoteAdded) for i, e in enumerate(got) if i != 17)


def test_two_objects_on_one_line_do_not_shift_the_rest() -> None:
    a = codec.encode_line(NoteAdded(text="a", seq=1)).rstrip(b"\n")
    odd = framed(b'{"type":"note","text":"x","seq":2},{"type":"note","text":"y","seq":3}')
    c = codec.encode_line(NoteAdded(text="c", seq=4)).rstrip(b"\n")
    got = codec.decode_lines([a, odd, c])
    assert len(got) == 3 and got[1] is None and got[2] == NoteAdded(text="c", seq=4)


def test_nan_outside_metric_values_does_not_crash() -> None:
    line = codec.encode_line(SystemSampled(cpu_percent=math.nan, rss_bytes=1)).rstrip(b"\n")
    assert codec.decode_lines([line])[0] is not None


@settings(max_examples=60, deadline=None)
@given(st.lists(events, max_size=20))
def test_any_events_round_trip(evs: list) -> None:
    data = codec.encode_lines(evs)
    lines, end, damaged = codec.split_framed(data)
    assert (end, damaged) == (len(data), 0)
    got = codec.decode_lines(lines)
    assert len(got) == len(evs)
    for original, back in zip(evs, got, strict=True):
        assert same(original, back), (original, back)


def test_config_keeps_nested_values() -> None:
    cfg = ConfigSet(values={"opt": {"lr": 0.1, "betas": [0.9, 0.99]}, "name": "ünï"})
    (got,) = codec.decode_lines([codec.encode_line(cfg).rstrip(b"\n")])
    assert got == cfg
