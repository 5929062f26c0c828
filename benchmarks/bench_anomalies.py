"""Anomaly detection: points folded per second, as the projector folds them (per batch).

The projector hands the rules the columns its summary fold already transposed
(fold_many's shapes), so what is timed is the detection's own cost. The baseline is the
least any per-point check costs: the same columns as numpy arrays, then one isfinite
and one running-min pass over each.
"""

from __future__ import annotations

import random

from harness import Result, best_of
from stores import training_curve

from runar.events import MetricsLogged
from runar.views.anomaly_watch import AnomalyState, StoreWatch, fold_anomalies
from runar.views.batch import Shapes, fold_many
from runar.views.summary import RunSummary

STEPS = 250_000  # 4 keys each: 1,000,000 points
BATCH = 20_000  # events per catch-up batch (a 4 MB segment holds ~30k such events)
TARGET = 1_000_000  # points per second


def _events() -> list[MetricsLogged]:
    rows = training_curve(STEPS, random.Random(7))
    return [MetricsLogged(values=v, step=i, ts=i + 1) for i, v in enumerate(rows)]


def run() -> list[Result]:
    import numpy as np

    events = _events()
    points = sum(len(e.values) for e in events)
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    shaped: list[Shapes] = []
    for batch in batches:
        shapes: Shapes = {}
        fold_many(RunSummary(run_id="bench"), batch, shapes)  # type: ignore[arg-type]
        shaped.append(shapes)
    watch = StoreWatch()

    def detect() -> None:
        summary, state = RunSummary(run_id="bench"), AnomalyState()
        for batch, shapes in zip(batches, shaped, strict=True):
            fold_anomalies(summary, state, batch, [], watch, shapes)  # type: ignore[arg-type]

    def numpy_pass() -> None:
        for shapes in shaped:
            for _, _, columns in shapes.values():
                for column in columns:
                    values = np.fromiter(column, dtype=np.float64, count=len(column))
                    np.isfinite(values).all()
                    np.minimum.accumulate(values)

    took = best_of(detect, repeat=3)
    base = best_of(numpy_pass, repeat=3)
    rate, base_rate = points / took, points / base
    return [
        Result(
            "anomaly fold (4 keys, 20k-event batches)",
            f"{rate:,.0f} points/s",
            f"{base_rate:,.0f} points/s (columns → numpy, isfinite, running min)",
            f"{rate / base_rate:.2f}x",
            f">= {TARGET:,} points/s",
            rate >= TARGET,
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
