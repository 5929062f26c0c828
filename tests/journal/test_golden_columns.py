"""Segments with MetricsColumns records (segment format 2) read as recorded, as events."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from runar.codec import decode_line, split_framed
from runar.events import MetricsColumns, MetricsLogged, WriterOpened
from runar.journal import list_segments, read_run
from runar.journal.reader import read_bytes

RUN = Path(__file__).parent.parent / "data" / "run_columns"


def test_columns_segments_read_as_recorded() -> None:
    got = read_run(RUN)
    assert [s.sealed for s in list_segments(RUN)] == [False, True]
    assert got.corrupt == 0  # the torn tail (a block cut before its trailer) is not damage
    as_read = json.dumps([msgspec.to_builtins(e) for e in got.events], indent=0, sort_keys=True)
    assert as_read + "\n" == (RUN / "expected.json").read_text()


def test_they_hold_columns_records_and_declare_format_2() -> None:
    for seg in list_segments(RUN):
        lines, _, damaged = split_framed(read_bytes(seg)[0])
        records = [decode_line(line) for line in lines]
        assert damaged == 0 and isinstance(records[0], WriterOpened)
        assert records[0].format == 2
        assert any(isinstance(r, MetricsColumns) for r in records)
        assert any(isinstance(r, MetricsLogged) for r in records)  # short runs: a line each


def test_every_metric_event_reads_back_with_its_own_seq() -> None:
    events = read_run(RUN).events
    for writer in {e.writer for e in events}:
        seqs = sorted(e.seq for e in events if e.writer == writer)
        assert seqs == list(range(1, len(seqs) + 1))
