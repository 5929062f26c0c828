"""The rules on the smoothed curve and its best so far: ``divergence`` and ``plateau``.

The smoothed curve is a plain mean over a fixed window, summed in a fixed order, so each
smoothed value is bit-identical however the points were batched (docs/anomalies.md says
why not an EMA).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from runar.views.anomalies import LEVELS, Anomaly, KeyState, Stamps, WatchSpec
from runar.views.anomaly_episodes import Ints, episodes, record

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]


def trend(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    ext: Floats,
    lead: int,
    fsteps: Ints,
    vals: Floats,
    pos: Callable[[int], int],
    ts: Stamps,
    out: list[Anomaly],
) -> None:
    """Divergence and plateau, from the smoothed curve and its best so far."""
    import numpy as np

    s_n = int(spec.smooth)
    n = len(fsteps)
    m = len(ext) - s_n + 1  # smoothed points computable from ext
    if m <= 0:
        return
    # sum the window in a fixed order, one shifted slice at a time: each smoothed value
    # is then bit-identical however the points were split into batches
    total = ext[:m].copy()
    for c in range(1, s_n):  # near the float limit this is inf: fold_points silences numpy
        total += ext[c : c + m]
    smooth_all = total / s_n
    skip = max(0, m - n)  # smoothed values of points folded in earlier batches
    smooth = smooth_all[skip:]
    offset = n - len(smooth)  # finite points of this batch without a full window yet
    if not len(smooth):
        return
    steps = fsteps[offset:]
    best = np.minimum.accumulate(np.concatenate(([state.best], smooth)))[1:]
    peak = np.maximum.accumulate(np.concatenate(([state.peak], smooth)))
    previous_best = np.concatenate(([state.best], best[:-1]))
    improved = smooth < previous_best
    idx = np.maximum.accumulate(np.where(improved, np.arange(len(smooth)), -1))
    head = np.where(idx >= 0, peak[1:][np.maximum(idx, 0)], state.head)
    peak = peak[1:]
    rise = smooth - best
    diverged = (
        np.isfinite(best)
        & (rise > spec.divergence * (head - best))
        & (rise > spec.divergence_rise * np.abs(best))
    )
    sign = -1.0 if spec.mode == "max" else 1.0
    word = "fell" if spec.mode == "max" else "rose"
    if "divergence" in spec.rules:
        for episode in episodes(state, "divergence", diverged, steps, int(spec.divergence_points)):
            start_step, _, last, _, j = episode
            at = pos(offset + j)

            def make(j: int = j, at: int = at, start: int = start_step) -> Anomaly:
                now, was = sign * float(smooth[j]), sign * float(best[j])
                return Anomaly(
                    rule="divergence",
                    key=key,
                    level=LEVELS["divergence"],
                    message=(
                        f"{key} diverged from step {start}: smoothed {word} to {now:.4g}, "
                        f"best was {was:.4g}"
                    ),
                    value=float(vals[at]),
                    ts=ts[at],
                )

            ongoing = last == len(smooth) - 1
            record(state, key, "divergence", episode, int(steps[last]), make, out, ongoing)
    if "plateau" in spec.rules:
        plateau(state, key, spec, best, steps, diverged, offset, vals, pos, ts, out)
    state.best = float(best[-1])
    state.peak = float(peak[-1])
    state.head = float(head[-1])


def plateau(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    best: Floats,
    steps: Ints,
    diverged: npt.NDArray[np.bool_],
    offset: int,
    vals: Floats,
    pos: Callable[[int], int],
    ts: Stamps,
    out: list[Anomaly],
) -> None:
    """The best smoothed value gained too little over the last ``plateau`` points."""
    import numpy as np

    p = int(spec.plateau)
    old_bests = np.frombuffer(state.bests, dtype=np.float64)
    old_steps = np.frombuffer(state.best_steps, dtype=np.int64)
    all_bests = np.concatenate((old_bests, best))
    lead = len(old_bests)

    def step_at(k: int) -> int:  # the step of the k-th point of old + new
        return int(old_steps[k]) if k < lead else int(steps[k - lead])

    lag = np.arange(len(best)) + lead - p  # index of the point p points earlier
    ok = lag >= 0
    flags = np.zeros(len(best), dtype=bool)
    if ok.any():
        lagged = all_bests[np.maximum(lag, 0)]
        gained = lagged - best
        flags = ok & (gained < spec.plateau_gain * np.abs(lagged)) & ~diverged
    sign = -1.0 if spec.mode == "max" else 1.0
    for episode in episodes(state, "plateau", flags, steps, 1):
        _, first, last, extends, confirm = episode
        since = step_at(max(0, int(lag[first])))
        episode = (since, first, last, extends, confirm) if extends is None else episode
        at = pos(offset + first)

        def make(first: int = first, at: int = at, since: int = since) -> Anomaly:
            return Anomaly(
                rule="plateau",
                key=key,
                level=LEVELS["plateau"],
                message=(
                    f"{key} has not improved by {spec.plateau_gain:.0%} over {p} points "
                    f"since step {since} (best {sign * float(best[first]):.4g})"
                ),
                value=float(vals[at]),
                ts=ts[at],
            )

        record(state, key, "plateau", episode, int(steps[last]), make, out, last == len(best) - 1)
    state.bests = all_bests[-p:].tobytes()
    recent = np.asarray(steps[-p:], dtype=np.int64)
    state.best_steps = np.concatenate((old_steps, recent))[-p:].tobytes()
