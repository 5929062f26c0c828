"""events.py: the envelope, forward compatibility, and old segments that must still decode."""

from __future__ import annotations

import math
from pathlib import Path

from runar import codec
from runar.events import (
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    RunStarted,
    Unknown,
    WriterOpened,
)
from runar.journal import list_segments, read_run

DATA = Path(__file__).parent / "data"


def frame(body: bytes) -> bytes:
    return codec.frame(body)


def test_envelope_defaults_and_tags() -> None:
    note = NoteAdded(text="x")
    assert (note.writer, note.seq, note.ts) == ("", 0, 0)
    assert codec.encode_json(note).startswith(b'{"type":"note"')


def test_newer_event_type_is_kept_raw_and_reading_goes_on(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    lines = [
        codec.encode_line(NoteAdded(text="before", writer="w-1", seq=1, ts=1)),
        frame(b'{"type":"quantum_state","writer":"w-1","seq":2,"ts":2,"qubits":[0,1]}'),
        frame(b'{"type":"note","writer":"w-1","seq":3,"ts":3,"text":"after","color":"red"}'),
    ]
    (run / "w-1.000001.jsonl").write_bytes(b"".join(lines))
    got = read_run(run)
    assert got.corrupt == 0
    assert isinstance(got.events[1], Unknown) and got.events[1].raw["qubits"] == [0, 1]
    assert got.events[2] == NoteAdded(text="after", writer="w-1", seq=3, ts=3)


def test_known_type_with_a_newer_shape_does_not_crash() -> None:
    line = frame(b'{"type":"metrics","writer":"w-1","seq":4,"ts":4,"values":{"a":{"mean":1}}}')
    (got,) = codec.decode_lines([line.rstrip(b"\n")])
    assert isinstance(got, Unknown) and got.seq == 4


def test_segments_written_by_runar_0_1_still_decode() -> None:
    run = DATA / "run_v1"
    segs = list_segments(run)
    assert [(s.number, s.sealed) for s in segs] == [(1, True), (2, False)]
    got = read_run(run)
    assert got.corrupt == 0  # the torn tail is "not yet written", not damage
    assert [e.seq for e in got.events] == list(range(1, 10))
    kinds = [type(e) for e in got.events]
    assert kinds == [
        WriterOpened,
        RunStarted,
        ConfigSet,
        MetricsLogged,
        NoteAdded,
        OutputCaptured,
        WriterOpened,
        MetricsLogged,
        RunFinished,
    ]
    started, config, metrics = got.events[1], got.events[2], got.events[3]
    assert isinstance(started, RunStarted) and started.git is not None
    assert started.name == "fixture" and started.git.dirty
    assert isinstance(config, ConfigSet) and config.values["opt"]["betas"] == [0.9, 0.999]
    assert isinstance(metrics, MetricsLogged) and math.isnan(metrics.values["nan"])
    assert metrics.values["inf"] == math.inf and metrics.values["ninf"] == -math.inf
    assert got.events[4] == NoteAdded(
        text="naïve ✓ note", writer="sdk-fixture001", seq=5, ts=got.events[4].ts
    )
    output = got.events[5]
    assert isinstance(output, OutputCaptured) and output.content() == "\\xff\\xfe raw"
    assert isinstance(got.events[8], RunFinished) and got.events[8].status == "completed"
