"""Projector and views: rebuild rate, no-op catch-up, newest-50 listing, metric loading."""

from __future__ import annotations

import os
import shutil
import time

import msgspec
from harness import Result, best_of
from stores import block_segment, event_block_segment, synthetic_store

from runar.journal.reader import read_bytes
from runar.journal.segment import list_segments
from runar.projector import catch_up, rebuild
from runar.store import Store
from runar.views import open_views


def _rebuild(results: list[Result]) -> None:
    # the target is for logs this runar writes; older forms are read as they were (context)
    for label, store, targeted in (
        (
            "rebuild views from the log",
            synthetic_store("rebuild-columns", 200, 5_000, block_segment),
            True,
        ),
        (
            "  older logs: blocks of one line per event (context)",
            synthetic_store("rebuild-blocks", 200, 5_000, event_block_segment),
            False,
        ),
        (
            "  older logs: per-line CRC (format 1, context)",
            synthetic_store("rebuild", 200, 5_000),
            False,
        ),
    ):
        _rebuild_one(results, label, store, targeted)


def _rebuild_one(results: list[Result], label: str, store: Store, targeted: bool) -> None:
    # CPU time beside wall time: on a shared machine the wall figures swing 2x between
    # runs while the CPU ones (both single-threaded) move a few percent
    start, cpu = time.perf_counter(), time.process_time()
    report = rebuild(store)
    took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
    rate = report.events / took

    decoder = msgspec.json.Decoder()
    segs = [s for r in store.run_ids() for s in list_segments(store.run_dir(r))]

    def bare() -> None:
        for seg in segs:
            data, _ = read_bytes(seg)
            for line in data.splitlines():
                decoder.decode(line)

    cpu = time.process_time()
    base = report.events / best_of(bare, repeat=1)
    base_cpu = report.events / (time.process_time() - cpu)
    results.append(
        Result(
            label,
            f"{rate:,.0f} ev/s (CPU {report.events / took_cpu:,.0f})",
            f"{base:,.0f} ev/s (CPU {base_cpu:,.0f}; decompress + bare decode)",
            f"{rate / base:.2f}x",
            ">= 1,000,000 ev/s" if targeted else "—",
            rate >= 1_000_000 if targeted else None,
        )
    )


def _catch_up_and_list(results: list[Result]) -> None:
    store = synthetic_store("listing", runs=10_000, steps=5)
    catch_up(store)
    noop = best_of(lambda: catch_up(store), repeat=5)
    listing_dir = best_of(lambda: [e.stat() for e in os.scandir(store.runs_dir)], repeat=5)
    results.append(
        Result(
            "catch-up, nothing new, 10,000 runs",
            f"{noop * 1e3:.1f} ms",
            f"{listing_dir * 1e3:.1f} ms (scandir + stat runs/*)",
            f"{noop / listing_dir:.1f}x",
            "<= 50 ms",
            noop <= 0.050,
        )
    )
    with open_views(store, catch_up=False) as views:
        index = views.index
        assert index is not None and len(views.runs(limit=50)) == 50
        newest = best_of(lambda: views.runs(limit=50), repeat=7)

        def raw_cursor() -> None:
            with index.read() as txn:
                for i, _ in enumerate(index.newest_first(txn)):
                    if i == 49:
                        break

        base = best_of(raw_cursor, repeat=7)
    results.append(
        Result(
            "list 50 newest runs with summaries (10,000)",
            f"{newest * 1e3:.2f} ms",
            f"{base * 1e3:.2f} ms (50 index keys)",
            f"{newest / base:.1f}x",
            "<= 20 ms",
            newest <= 0.020,
        )
    )


def _load_metrics(results: list[Result]) -> None:
    import polars as pl

    import runar.frames as frames

    store = synthetic_store("metrics", runs=100, steps=10_000)
    frames.metrics(store=store)  # first load builds the per-segment cache
    start = time.perf_counter()
    df = frames.metrics(store=store)
    took = time.perf_counter() - start
    one = store.root.parent / "one.arrow"
    df.write_ipc(one)
    base = best_of(lambda: pl.read_ipc(one).rechunk(), repeat=3)
    one.unlink()
    results.append(
        Result(
            f"load metrics 100 runs x 10k steps x 4 keys ({df.height:,} rows)",
            f"{took:.2f} s",
            f"{base:.2f} s (one IPC file)",
            f"{took / base:.1f}x",
            "<= 1 s",
            took <= 1.0,
        )
    )
    shutil.rmtree(store.index_dir / "metrics", ignore_errors=True)


def run() -> list[Result]:
    results: list[Result] = []
    _rebuild(results)
    _catch_up_and_list(results)
    _load_metrics(results)
    return results
