"""Fold what is new in the log into the views, and only what is new.

catch_up() lists run folders (one scandir) and compares each folder's stamp and each
active segment's size with the checkpoints; only changed runs are read, from their
checkpointed offsets. Events are deduplicated by ``(writer, seq)``, so a segment that
arrives twice (sync, a rewrite after a failed fsync) is folded once. Summaries,
lookups and checkpoints of a run change in one LMDB transaction.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Final

import lmdb

from runar.events import AnyEvent, MetricsColumns, MetricsLogged, Unknown
from runar.ids import is_run_id
from runar.journal.segment import list_segments, segment_stem
from runar.metric_columns import count_events
from runar.store import Store
from runar.views.anomaly_watch import fold_anomalies, store_watch
from runar.views.batch import columns_foldable, fold_batch, fold_columns, unfold_columns
from runar.views.index import (
    FOLDER_STAMP,
    Index,
    RunCheckpoint,
    SegmentCheckpoint,
    remove_index,
)
from runar.views.output_metrics import metrics_from_output
from runar.views.summary import RunSummary
from runar.views.summary_fold import fold

EVENTS_PER_TXN: Final = 200_000
Stamp = tuple[int, int]


@dataclass
class CatchUpReport:
    """What one catch-up folded."""

    runs_changed: list[str] = field(default_factory=list)
    runs_removed: list[str] = field(default_factory=list)
    events: int = 0
    corrupt: int = 0
    seconds: float = 0.0


def claim(seen: dict[str, list[tuple[int, int]]], writer: str, seq: int) -> bool:
    """Record ``(writer, seq)`` as folded; False when it already was."""
    ranges = seen.setdefault(writer, [])
    if ranges and ranges[-1][1] + 1 == seq:  # the common case: the next seq in order
        ranges[-1] = (ranges[-1][0], seq)
        return True
    for i, (lo, hi) in enumerate(ranges):
        if lo <= seq <= hi:
            return False
        if seq < lo:
            ranges.insert(i, (seq, seq))
            _merge(ranges, i)
            return True
    ranges.append((seq, seq))
    _merge(ranges, len(ranges) - 1)
    return True


def _claim_all(
    seen: dict[str, list[tuple[int, int]]],
    events: list[AnyEvent | MetricsColumns | Unknown],
    n: int,
) -> list[AnyEvent | MetricsColumns | Unknown]:
    """The events not folded before, claiming them; a whole in-order batch at once.

    A MetricsColumns record claims its seqs ``seq .. seq + n - 1``; when the batch is not
    one in-order run, records are taken apart and each of their events claimed alone.

    Args:
        n: how many events the list stands for (a record counting for its own).
    """
    if not events:
        return events
    writer, first = events[0].writer, events[0].seq
    ranges = seen.get(writer)
    follows = not ranges or ranges[-1][1] < first
    if follows and _in_order(events, writer, first, n):
        claim(seen, writer, first)
        seen[writer][-1] = (seen[writer][-1][0], first + n - 1)
        return events
    return [e for e in unfold_columns(events) if claim(seen, e.writer, e.seq)]


def _in_order(
    events: list[AnyEvent | MetricsColumns | Unknown], writer: str, first: int, n: int
) -> bool:
    """Are the events one writer's seqs first, first + 1, ... with none missing?"""
    if n == len(events):  # no columns record among them
        return (
            events[-1].seq == first + n - 1
            and [e.seq for e in events] == list(range(first, first + n))
            and all(e.writer == writer for e in events)
        )
    expected = first
    for e in events:
        if e.seq != expected or e.writer != writer:
            return False
        expected += len(e.stamps) if type(e) is MetricsColumns else 1
    return True


def _merge(ranges: list[tuple[int, int]], i: int) -> None:
    if i + 1 < len(ranges) and ranges[i][1] + 1 == ranges[i + 1][0]:
        ranges[i : i + 2] = [(ranges[i][0], ranges[i + 1][1])]
    if i > 0 and ranges[i - 1][1] + 1 == ranges[i][0]:
        ranges[i - 1 : i + 1] = [(ranges[i - 1][0], ranges[i][1])]


def _scan(store: Store, known: dict[str, bytes]) -> tuple[dict[str, Stamp], list[str]]:
    """Every run folder's stamp, and the runs whose folder changed or was still active."""
    stamps: dict[str, Stamp] = {}
    suspects: list[str] = []
    pack = FOLDER_STAMP.pack
    try:
        entries = os.scandir(store.runs_dir)
    except FileNotFoundError:
        return stamps, suspects
    deleted = store.tombstones()
    with entries:
        for entry in entries:
            name = entry.name
            old = known.get(name)
            if (old is None and not is_run_id(name)) or name in deleted:
                continue
            if not entry.is_dir(follow_symlinks=False):
                continue  # a symlinked run folder could point anywhere: never followed
            st = entry.stat(follow_symlinks=False)
            stamp = stamps[name] = (st.st_mtime_ns, st.st_ctime_ns)
            if old is None or len(old) > FOLDER_STAMP.size or old != pack(*stamp):
                suspects.append(name)
    return stamps, suspects


def _has_grown(index: Index, store: Store, run_id: str) -> bool:
    """For an active run whose folder did not change: did a plain segment grow?"""
    with index.read() as txn:
        cp = index.checkpoint(txn, run_id)
    for seg in list_segments(store.run_dir(run_id)):
        known = cp.segments.get(segment_stem(seg.writer, seg.number))
        if known is None or known.sealed != seg.sealed or known.size != seg.size:
            return True
    return False


def _needs_fold(index: Index, store: Store, run_id: str, stamp: Stamp, known: bytes | None) -> bool:
    if known is None or known[: FOLDER_STAMP.size] != FOLDER_STAMP.pack(*stamp):
        return True
    return _has_grown(index, store, run_id)  # unchanged folder, but a segment was active


def fold_segments(store: Store, run_id: str, summary: RunSummary, cp: RunCheckpoint) -> int:
    """Fold every segment's new bytes into ``summary``; returns events read."""
    # the reader (and the codec's decoders, ~3 ms to build) only when a run has news:
    # ls, show and the rest open the views without them when nothing is new
    from runar.journal.reader import read_segment_columns

    read = 0
    parse_output = summary.started is None or summary.started.parse_output
    watch = store_watch(store)
    for seg in list_segments(store.run_dir(run_id)):
        stem = segment_stem(seg.writer, seg.number)
        known = cp.segments.get(stem)
        if known is not None and known.sealed == seg.sealed and known.size == seg.size:
            continue
        got = read_segment_columns(seg, known.offset if known is not None else 0)
        summary.corrupt += got.corrupt
        read += got.count
        claimed = _claim_all(cp.seen, got.events, got.count)
        if claimed is not got.events:
            summary.duplicates += got.count - count_events(claimed)
        # metric records folded from their lists as they are; a batch without any (the
        # count says so: an old segment, or records taken apart to claim) goes as before
        if got.count != len(got.events) and claimed is got.events and columns_foldable(claimed):
            fresh: list[AnyEvent | Unknown] = claimed  # type: ignore[assignment]
            folded = fold_columns(summary, claimed)
        else:
            fresh = unfold_columns(claimed)
            folded = fold_batch(summary, fresh)
        if summary.started is not None:
            parse_output = summary.started.parse_output
        printed: list[MetricsLogged] = []
        if parse_output:
            for event in folded.outputs:
                for derived in metrics_from_output(event, cp.output_state, stem):
                    _fold_derived(summary, derived)
                    printed.append(derived)
        if folded.plain is None or folded.others is None:
            fold_anomalies(summary, cp.anomalies, fresh, printed, watch, folded.shapes)
        else:  # the same in two calls, so the metric events (all grouped) need no scan
            if folded.others:  # watches and alerts; they apply before the batch's points
                fold_anomalies(summary, cp.anomalies, folded.others, [], watch)
            fold_anomalies(summary, cp.anomalies, folded.plain, printed, watch, folded.shapes)
        cp.segments[stem] = SegmentCheckpoint(got.end, seg.size, seg.sealed)
    return read


def _fold_derived(summary: RunSummary, derived: MetricsLogged) -> None:
    events_before = summary.events
    fold(summary, derived)
    summary.events = events_before  # derived points are not events of the log


def _process(
    index: Index, store: Store, run_ids: list[str], stamps: dict[str, Stamp], report: CatchUpReport
) -> None:
    pending = list(run_ids)
    from runar.codec import paused_gc

    while pending:
        try:
            with index.write() as txn:
                budget = 0
                while pending and budget < EVENTS_PER_TXN:
                    run_id = pending[0]
                    previous = index.summary(txn, run_id)
                    summary = index.summary(txn, run_id) or RunSummary(run_id=run_id)
                    cp = index.checkpoint(txn, run_id)
                    corrupt_before = summary.corrupt
                    cp.dir_stamp = stamps[run_id]
                    with paused_gc():  # a run's events are held while folded: no walks
                        read = fold_segments(store, run_id, summary, cp)
                    index.save(txn, summary, cp, previous)
                    budget += read + 1
                    report.events += read
                    report.corrupt += summary.corrupt - corrupt_before
                    if read:
                        report.runs_changed.append(run_id)
                    pending.pop(0)
        except lmdb.MapFullError:
            index.grow()  # the transaction was aborted whole: redo it with a bigger map


def catch_up(store: Store, index: Index | None = None) -> CatchUpReport:
    """Bring the views up to date with the log; cheap when nothing is new."""
    started = time.perf_counter()
    report = CatchUpReport()
    if not store.exists:
        return report
    own = index is None
    index = index or Index(store)
    try:
        with index.read() as txn:
            known = index.stamps(txn)
        stamps, suspects = _scan(store, known)
        gone = sorted(set(known) - set(stamps))
        if gone:
            with index.write() as txn:
                for run_id in gone:
                    index.forget(txn, run_id)
            report.runs_removed = gone
        todo = [
            run_id
            for run_id in suspects
            if _needs_fold(index, store, run_id, stamps[run_id], known.get(run_id))
        ]
        _process(index, store, sorted(todo), stamps, report)
    finally:
        if own:
            index.close()
    report.seconds = time.perf_counter() - started
    return report


def rebuild(store: Store) -> CatchUpReport:
    """Delete the derived views and fold the whole log again."""
    remove_index(store)
    return catch_up(store)
