"""MetricsColumns records (metric_columns.collapse_metrics): the events they stand for come back."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar import codec, metric_columns
from runar.events import AnyEvent, MetricsColumns, MetricsLogged, NoteAdded

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
value = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, 1.0, float("nan")])
    | st.integers(-(2**60), 2**60)
)


@st.composite
def batches(draw: st.DrawFn) -> list[AnyEvent]:
    """Like metric events in runs, with the odd one that breaks a run in every way."""
    out: list[AnyEvent] = []
    seq = draw(st.integers(1, 10))
    for _ in range(draw(st.integers(1, 8))):
        keys = draw(st.sampled_from([("a",), ("a", "b"), ("b", "a"), ("x", "y", "z")]))
        where = draw(st.sampled_from([None, None, "prep"]))
        source = draw(st.sampled_from([None, None, "stdout"]))
        writer = draw(st.sampled_from(["w-1", "w-1", "w-2"]))
        for _ in range(draw(st.integers(1, 150))):
            seq += draw(st.sampled_from([1] * 20 + [0, 2]))  # a repeat or a gap, rarely
            event: AnyEvent = MetricsLogged(
                values={k: draw(value) for k in keys},
                step=draw(st.none() | st.integers(0, 10**6)),
                workflow_step=where,
                source=source,
                writer=writer,
                seq=seq,
                ts=draw(st.integers(0, 2**62)),
            )
            out.append(event)
        if draw(st.booleans()):
            seq += 1
            out.append(NoteAdded(text="n", writer=writer, seq=seq, ts=1))
    return out


def decoded(data: bytes) -> list[bytes]:
    lines, _, damaged = codec.split_framed(data)
    assert damaged == 0
    return [codec.encode_json(e) for e in codec.decode_lines(lines)]  # type: ignore[arg-type]


@PROPS
@given(batches())
def test_columns_read_back_as_the_events_they_stand_for(evs: list[AnyEvent]) -> None:
    want = decoded(codec.encode_lines(evs))
    assert decoded(codec.encode_blocks(evs)) == want
    chunks, _, _ = codec.split_framed_chunks(codec.encode_blocks(evs))
    assert [codec.encode_json(e) for e in codec.decode_chunks(chunks)] == want  # type: ignore[arg-type]


@PROPS
@given(batches())
def test_a_record_holds_only_a_run_of_like_events(evs: list[AnyEvent]) -> None:
    pos = 0
    for record in metric_columns.collapse_metrics(evs):
        if not isinstance(record, MetricsColumns):
            assert record is evs[pos]
            pos += 1
            continue
        events = metric_columns.expand_columns(record)
        assert events is not None
        assert metric_columns.COLUMNS_MIN <= len(events) <= metric_columns.COLUMNS_MAX
        originals = evs[pos : pos + len(events)]
        pos += len(events)
        assert [(e.writer, e.seq, e.ts, e.step) for e in originals] == [
            (e.writer, e.seq, e.ts, e.step) for e in events
        ]
        assert [list(e.values) for e in originals] == [list(e.values) for e in events]  # type: ignore[union-attr]
        assert {(e.workflow_step, e.source) for e in originals} == {  # type: ignore[union-attr]
            (record.workflow_step, record.source)
        }
    assert pos == len(evs)


def test_a_value_that_is_no_number_keeps_its_run_one_line_per_event() -> None:
    evs: list[AnyEvent] = [
        MetricsLogged(values={"a": 1.0, "b": float(i)}, writer="w", seq=i, ts=i)
        for i in range(1, 9)
    ]
    evs[3].values["a"] = "x"  # type: ignore[union-attr]  # not something a writer gives
    assert not any(isinstance(r, MetricsColumns) for r in metric_columns.collapse_metrics(evs))


def test_an_inconsistent_record_reads_as_one_unknown_event() -> None:
    record = MetricsColumns(
        stamps=[1, 2], steps=[1], keys=["a"], columns=[[1.0, 2.0]], writer="w", seq=5, ts=1
    )
    line = codec.encode_json(record)  # type: ignore[arg-type]
    (got,) = codec.decode_lines([codec.frame(line)[:-1]])
    assert type(got).__name__ == "Unknown" and got.seq == 5  # type: ignore[union-attr]


def test_a_damaged_record_costs_its_block_and_no_more() -> None:
    rng = random.Random(3)
    evs: list[AnyEvent] = [
        MetricsLogged(values={"loss": rng.random()}, step=i, writer="w", seq=i, ts=i)
        for i in range(1, 1001)
    ]
    data = codec.encode_blocks(evs)
    first_block_end = data.index(b'\n{"block":') + 1
    damaged = bytearray(data)
    damaged[first_block_end // 2] ^= 0x04
    lines, _, bad = codec.split_framed(bytes(damaged))
    seqs = [e.seq for e in codec.decode_lines(lines)]  # type: ignore[union-attr]
    intact, _, _ = codec.split_framed(data[: data.index(b"\n", first_block_end) + 1])
    lost = len(codec.decode_lines(intact))
    assert bad >= 1 and seqs == list(range(lost + 1, 1001))
