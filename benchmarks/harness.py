"""Shared pieces of the benchmarks: a result row and timing helpers.

Each ``bench_*.py`` module defines ``run() -> list[Result]``. Figures are reported
next to a baseline measured in the same run, because these machines are shared and
noisy: the ratio is what to compare across runs, the absolute figure is context.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """One row of the benchmark table."""

    name: str
    measured: str
    baseline: str
    ratio: str
    target: str
    passed: bool | None


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_ns_per_call(fn: Callable[[], object], calls: int = 100_000, rounds: int = 7) -> float:
    """Median over rounds of the mean cost of one call, in ns."""
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        per_round.append((time.perf_counter_ns() - start) / calls)
    return statistics.median(per_round)
