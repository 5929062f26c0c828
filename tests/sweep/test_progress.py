"""progress.py: which metric ranks the points, and what the closing lines count."""

from __future__ import annotations

import io

from runar.store import Store
from runar.sweep.progress import Progress, best_of, missing_metric, resolve_metric

DONE = {0: ("completed", {"Loss": 2.3}), 1: ("completed", {"Loss": 2.1}), 2: ("failed", {})}


def test_a_metric_named_in_another_case_is_the_logged_one() -> None:
    assert resolve_metric("loss", ["Loss", "acc"]) == "Loss"
    assert resolve_metric("metrics.acc", ["Loss", "acc"]) == "acc"
    assert resolve_metric("loss", ["Loss", "LOSS"]) == "loss"  # two candidates: no guess
    best = best_of(DONE, "loss", None, {})
    assert best is not None and (best.metric, best.index, best.mode) == ("Loss", 1, "min")


def test_a_metric_no_point_logged_names_what_they_did() -> None:
    assert missing_metric(DONE, "loss") is None
    assert missing_metric(DONE, "val/acc") == (
        "no completed point logged --metric 'val/acc'; they logged: Loss"
    )


def test_points_never_started_count_as_queued_at_the_end(store: Store) -> None:
    progress = Progress(store, "s", total=5, out=io.StringIO())
    progress.results = dict(DONE)  # --max-failures stopped the sweep after three points
    assert "· 1 failed · 2 queued" in progress.summary()
