"""The projector's batched, column-wise fold gives exactly what folding event by event gives.

Random runs are written as real segments (per-line CRC, blocks of one line per event, or
blocks with runs of like metrics as MetricsColumns records; plain or sealed, some
copied into a second segment as a merged store leaves them, some lines from a newer
runar, a byte changed by a bad write), folded by the projector (rebuild, or catch-up in
two steps from its checkpoint) and compared byte for byte with the plain fold:
``claim``, ``fold`` and the anomaly rules one event at a time, no grouping anywhere.
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar.codec import decode_lines, encode_blocks, encode_json, encode_lines, frame, split_framed
from runar.events import (
    AlertRaised,
    AnyEvent,
    ConfigSet,
    MetricsColumns,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    RunStarted,
    SystemSampled,
    TagsChanged,
    WatchSet,
    WriterOpened,
)
from runar.journal.reader import read_segment
from runar.journal.segment import compress_frames, list_segments, segment_stem
from runar.projector import catch_up, claim, rebuild
from runar.store import Store
from runar.views.anomaly_watch import fold_anomalies, store_watch
from runar.views.index import Index, RunCheckpoint, SegmentCheckpoint
from runar.views.output_metrics import metrics_from_output
from runar.views.summary import RunSummary
from runar.views.summary_fold import fold

RUN_ID = "0123456789abcdef"
WRITERS = ("sdk-aaaa1111", "runner-bbbb2222")
KEYS = ("loss", "acc", "val/loss", 'we"ird', "back\\slash", "ünï 😀", "grad_norm", "a,b:c}")
# key sets as training logs repeat them (so a workflow step's metrics share some), and any
SHAPES = (("loss",), ("loss", "acc"), ("acc", "loss"), ("val/loss",), KEYS[3:6], KEYS[6:])
_canonical = msgspec.msgpack.Encoder(order="sorted")

value = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1.0])
    | st.integers(-(2**60), 2**60)  # written as JSON integers, read back as floats
)
metric = st.builds(
    MetricsLogged,
    values=(
        st.sampled_from(SHAPES)
        | st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True)
    ).flatmap(lambda keys: st.fixed_dictionaries({k: value for k in keys})),
    step=st.none() | st.integers(0, 60),
    workflow_step=st.sampled_from([None] * 6 + ["prep"]),
)
rare = st.one_of(
    st.builds(ConfigSet, values=st.fixed_dictionaries({"lr": st.floats(0, 1)})),
    st.builds(TagsChanged, added=st.lists(st.sampled_from(["a", "b"]), max_size=2)),
    st.builds(NoteAdded, text=st.text(max_size=8)),
    st.builds(
        OutputCaptured,
        stream=st.just("stdout"),
        text=st.sampled_from(["loss=0.25 step=3\n", "lr=1e-3\n", "acc=nan\n", "hello\n"]),
    ),
    st.builds(WatchSet, key=st.sampled_from(KEYS), mode=st.sampled_from(["min", "max"])),
    st.builds(AlertRaised, title=st.sampled_from(["x", "y"]), step=st.none() | st.integers(0, 9)),
    st.builds(SystemSampled, cpu_percent=st.floats(0, 100), rss_bytes=st.integers(0, 2**40)),
    st.builds(RunFinished, status=st.sampled_from(["completed", "failed"])),
    st.just("unknown"),  # a line of an event type from a newer runar
)
# mostly metrics, as in a training log; the int is the clock step (0: a tie)
entry = st.tuples(st.one_of(metric, metric, metric, rare), st.integers(0, 2), st.integers(0, 1))


@st.composite
def streak(draw: st.DrawFn) -> list[tuple[Any, int, int]]:
    """A run of metric events with one key set, as a training loop logs them."""
    keys = draw(st.sampled_from(SHAPES))
    where = draw(st.sampled_from([None] * 4 + ["prep"]))
    owner = draw(st.integers(0, 1))
    n = draw(st.integers(3, 40))
    return [
        (
            MetricsLogged(
                values={k: draw(value) for k in keys},
                step=draw(st.none() | st.integers(0, 60)),
                workflow_step=where,
            ),
            draw(st.integers(0, 2)),
            owner,
        )
        for _ in range(n)
    ]


# single events and streaks of like metrics (which the block encoder writes as columns)
entries_st = st.lists(st.one_of(entry.map(lambda e: [e]), streak()), min_size=1, max_size=12).map(
    lambda parts: [e for part in parts for e in part][:200]
)


class Plan(msgspec.Struct):
    """How one writer's events are laid out on disk."""

    cuts: list[int]  # event indexes where a new segment starts
    framing: list[str]  # per segment: "lines" (a CRC each), "blocks", or "columns" (blocks)
    sealed: list[bool]
    duplicate: bool  # the last segment's events again in one more segment (a merged store)
    damage: int | None = None  # a byte of the first segment that a bad write changed


plan = st.builds(
    Plan,
    cuts=st.lists(st.integers(1, 60), max_size=2, unique=True).map(sorted),
    framing=st.lists(st.sampled_from(["lines", "blocks", "columns"]), min_size=4, max_size=4),
    sealed=st.lists(st.booleans(), min_size=4, max_size=4),
    duplicate=st.booleans(),
    damage=st.none() | st.integers(0, 10**6),
)


def _stamp(entries: list[tuple[Any, int, int]]) -> dict[str, list[AnyEvent | dict[str, Any]]]:
    """Each writer's events with writer, seq and ts filled in as a JournalWriter would."""
    out: dict[str, list[AnyEvent | dict[str, Any]]] = {}
    clock = 1_700_000_000_000_000_000
    for i, (event, tick, owner) in enumerate(entries):
        writer = WRITERS[owner]
        own = out.setdefault(writer, [])
        if not own:
            own.append(WriterOpened(run_id=RUN_ID, role="sdk", host="h", pid=1, ts=clock))
        if i == 0:
            own.append(RunStarted(run_id=RUN_ID, name="run", argv=["train.py"], ts=clock))
        clock += tick  # 0: the same nanosecond as the event before
        if event == "unknown":
            own.append({"type": "from_the_future", "n": i, "nested": {"k": [1]}, "ts": clock})
        else:
            own.append(msgspec.structs.replace(event, ts=clock))
    for writer, events in out.items():
        for seq, event in enumerate(events, start=1):
            if isinstance(event, dict):
                event.update(writer=writer, seq=seq)
            else:
                event.writer, event.seq = writer, seq
    return out


def _segment_bytes(events: list[AnyEvent | dict[str, Any]], framing: str) -> bytes:
    """Runs of known events in the chosen framing; a newer runar's line framed alone."""
    out: list[bytes] = []
    run: list[AnyEvent] = []

    def flush() -> None:
        if run:
            if framing == "lines":
                out.append(encode_lines(run))
            else:
                out.append(encode_blocks(run, columns=framing == "columns"))
            run.clear()

    for event in events:
        if isinstance(event, dict):
            flush()
            out.append(frame(msgspec.json.encode(event)))
        elif isinstance(event, WriterOpened):
            flush()
            out.append(frame(encode_json(event)))  # a segment's header is always framed
        else:
            run.append(event)
    flush()
    return b"".join(out)


def _write(
    store: Store, writer: str, events: list[Any], layout: Plan, cut: int | None, final: bool
) -> None:
    """Write the writer's segments: with ``final`` False only the events before ``cut``;
    with ``final`` True the rest is appended after them, as a writer appends, and sealed."""
    folder = store.run_dir(RUN_ID)
    folder.mkdir(parents=True, exist_ok=True)
    edges = [0, *[c for c in layout.cuts if c < len(events)], len(events)]
    ranges = list(pairwise(edges))
    if layout.duplicate:
        ranges.append(ranges[-1])
    stop = len(events) if cut is None else cut
    for number, (a, b) in enumerate(ranges, start=1):
        framing = layout.framing[number - 1]
        data = _segment_bytes(events[a : min(b, stop)], framing)
        if final:
            data += _segment_bytes(events[max(a, stop) : b], framing)
        if not data:
            continue
        if final and number == 1 and layout.damage is not None:
            at = layout.damage % len(data)
            data = data[:at] + bytes([data[at] ^ 0x21]) + data[at + 1 :]
        stem = segment_stem(writer, number)
        if final and layout.sealed[number - 1]:
            (folder / f"{stem}.jsonl").unlink(missing_ok=True)
            (folder / f"{stem}.jsonl.zst").write_bytes(compress_frames(data))
        else:
            (folder / f"{stem}.jsonl").write_bytes(data)


def plain_fold(store: Store, summary: RunSummary, cp: RunCheckpoint) -> None:
    """The projector's fold_segments, event by event: no batching, no columns."""
    parse_output = summary.started is None or summary.started.parse_output
    for seg in list_segments(store.run_dir(RUN_ID)):
        stem = segment_stem(seg.writer, seg.number)
        known = cp.segments.get(stem)
        if known is not None and known.sealed == seg.sealed and known.size == seg.size:
            continue
        got = read_segment(seg, known.offset if known is not None else 0)
        summary.corrupt += got.corrupt
        fresh = [e for e in got.events if claim(cp.seen, e.writer, e.seq)]
        summary.duplicates += len(got.events) - len(fresh)
        for event in fresh:
            fold(summary, event)
        if summary.started is not None:
            parse_output = summary.started.parse_output
        printed: list[MetricsLogged] = []
        for event in fresh if parse_output else []:
            if isinstance(event, OutputCaptured):
                for derived in metrics_from_output(event, cp.output_state, stem):
                    before = summary.events
                    fold(summary, derived)
                    summary.events = before
                    printed.append(derived)
        fold_anomalies(summary, cp.anomalies, fresh, printed, store_watch(store))
        cp.segments[stem] = SegmentCheckpoint(got.end, seg.size, seg.sealed)


def _folded(store: Store) -> tuple[bytes, bytes]:
    with Index(store) as index, index.read() as txn:
        summary = index.summary(txn, RUN_ID)
        cp = index.checkpoint(txn, RUN_ID)
    assert summary is not None
    return _canonical.encode(summary), _canonical.encode(_without_stamp(cp))


def _without_stamp(cp: RunCheckpoint) -> RunCheckpoint:
    return msgspec.structs.replace(cp, dir_stamp=(0, 0))


def _store(root: Path) -> Store:
    return Store(root / ".runar").create()


_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _rebuilt_equals_plain_fold(root: Path, entries: list[Any], layouts: list[Plan]) -> None:
    store = _store(root)
    for (writer, events), layout in zip(_stamp(entries).items(), layouts, strict=False):
        _write(store, writer, events, layout, None, final=True)
    rebuild(store)
    summary, cp = RunSummary(run_id=RUN_ID), RunCheckpoint()
    plain_fold(store, summary, cp)
    assert _folded(store) == (_canonical.encode(summary), _canonical.encode(cp))


@_settings
@given(entries_st, st.lists(plan, min_size=2, max_size=2))
def test_rebuild_equals_the_plain_fold(tmp_path_factory, entries, layouts):
    _rebuilt_equals_plain_fold(tmp_path_factory.mktemp("s"), entries, layouts)


_ONE_SEGMENT = Plan(cuts=[], framing=["columns"] * 4, sealed=[False] * 4, duplicate=False)


def test_zeros_of_both_signs_keep_the_first_seen_as_min_and_max(tmp_path):
    zeros = [0.0] + [-0.0] * 30  # long enough for numpy's vectorised min to pick another
    entries = [(MetricsLogged(values={"a": z, "b": -z}, step=i), 1, 0) for i, z in enumerate(zeros)]
    _rebuilt_equals_plain_fold(tmp_path, entries, [_ONE_SEGMENT])


def test_a_workflow_steps_metrics_with_the_same_keys_as_the_others(tmp_path):
    entries = [
        (MetricsLogged(values={"loss": 1.0 / (i + 1)}, step=i, workflow_step=step), 1, 0)
        for i, step in enumerate([None, None, "prep", None, "prep", None])
    ]
    _rebuilt_equals_plain_fold(tmp_path, entries, [_ONE_SEGMENT])


@_settings
@given(entries_st, st.lists(plan, min_size=2, max_size=2), st.integers(0, 200))
def test_catch_up_from_its_checkpoint_equals_the_plain_fold(
    tmp_path_factory, entries, layouts, cut
):
    store = _store(tmp_path_factory.mktemp("s"))
    summary, cp = RunSummary(run_id=RUN_ID), RunCheckpoint()
    stamped = list(zip(_stamp(entries).items(), layouts, strict=False))
    for final in (False, True):  # the first events, then the rest appended and sealed
        for (writer, events), layout in stamped:
            _write(store, writer, events, layout, cut, final)
        catch_up(store)
        plain_fold(store, summary, cp)
    assert _folded(store) == (_canonical.encode(summary), _canonical.encode(cp))


def test_a_long_run_of_like_metrics_is_folded_from_its_columns(tmp_path):
    values = [0.0, -0.0, math.nan, math.inf, -math.inf, 3, 2.5, -1e300]
    entries = [
        (MetricsLogged(values={"loss": values[i % 8], "acc": i / 7}, step=i // 2), i % 3, 0)
        for i in range(300)
    ]
    _, events = next(iter(_stamp(entries).items()))
    assert b'"type":"metric_cols"' in _segment_bytes(events, "columns")
    _rebuilt_equals_plain_fold(tmp_path, entries, [_ONE_SEGMENT])


def _decoded(data: bytes) -> list[bytes]:
    lines, _, damaged = split_framed(data)
    assert damaged == 0
    return [encode_json(e) for e in decode_lines(lines)]  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(entries_st)
def test_columns_decode_to_the_events_one_line_each_gives(entries):
    for events in _stamp(entries).values():
        known = [e for e in events if not isinstance(e, dict)]
        want = _decoded(encode_lines(known))  # type: ignore[arg-type]
        assert _decoded(encode_blocks(known)) == want  # type: ignore[arg-type]
        assert _decoded(encode_blocks(known, columns=False)) == want  # type: ignore[arg-type]


def test_an_inconsistent_columns_record_folds_as_the_one_unknown_event_it_reads_as(tmp_path):
    store = _store(tmp_path)
    entries = [(MetricsLogged(values={"a": float(i)}, step=i), 1, 0) for i in range(20)]
    ((writer, events),) = _stamp(entries).items()
    bad = MetricsColumns(
        stamps=[1, 2, 3], steps=[1], keys=["a"], columns=[[1.0, 2.0, 3.0]], writer=writer, seq=12
    )
    for e in events[11:]:
        e.seq += 1  # type: ignore[union-attr]  # the record took seq 12
    data = _segment_bytes(events[:11], "columns") + encode_blocks([bad], columns=False)  # type: ignore[list-item]
    data += _segment_bytes(events[11:], "columns")
    folder = store.run_dir(RUN_ID)
    folder.mkdir(parents=True)
    (folder / f"{segment_stem(writer, 1)}.jsonl").write_bytes(data)
    rebuild(store)
    summary, cp = RunSummary(run_id=RUN_ID), RunCheckpoint()
    plain_fold(store, summary, cp)
    assert _folded(store) == (_canonical.encode(summary), _canonical.encode(cp))
    assert summary.events == len(events) + 1 and cp.seen[writer] == [(1, len(events) + 1)]
