"""Segments of the per-line CRC framing (written before block framing) read identically."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from runar.journal import list_segments, read_run

RUN = Path(__file__).parent.parent / "data" / "run_lines"


def test_per_line_segments_read_as_recorded() -> None:
    got = read_run(RUN)
    assert [s.sealed for s in list_segments(RUN)] == [True, False]
    assert got.corrupt == 0  # the torn tail is "not yet written", not damage
    as_read = json.dumps([msgspec.to_builtins(e) for e in got.events], indent=0, sort_keys=True)
    assert as_read + "\n" == (RUN / "expected.json").read_text()
