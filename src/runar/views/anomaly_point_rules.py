"""The rules that judge each point on its own: ``nonfinite`` and ``spike``.

A spike is judged against the median and MAD of the previous ``spike_window`` finite
points (a robust z-score), plus a minimum relative jump; only the bad direction counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from runar.views.anomalies import LEVELS, MAD_SIGMA, Anomaly, KeyState, Stamps, WatchSpec
from runar.views.anomaly_episodes import Ints, episodes, record, streak_of

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

_TINY: Final = 1e-12


def nonfinite(
    state: KeyState,
    key: str,
    vals: Floats,
    steps: Ints,
    ts: Stamps,
    finite: npt.NDArray[np.bool_],
    out: list[Anomaly],
) -> None:
    """One anomaly per stretch of NaN or ±inf values."""
    n = len(vals)
    for episode in episodes(state, "nonfinite", ~finite, steps, 1):
        _, first, last, _, _ = episode
        value = float(vals[first])
        word = "NaN" if math.isnan(value) else ("+inf" if value > 0 else "-inf")

        def make(first: int = first, word: str = word, value: float = value) -> Anomaly:
            return Anomaly(
                rule="nonfinite",
                key=key,
                level=LEVELS["nonfinite"],
                message=f"{key} went {word} at step {int(steps[first])}",
                value=value,
                ts=ts[first],
            )

        record(state, key, "nonfinite", episode, int(steps[last]), make, out, last == n - 1)


def spikes(
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
    """Points far above the median of the finite points before them."""
    import numpy as np

    w = int(spec.spike_window)
    n = len(fsteps)
    flags = np.zeros(n, dtype=bool)
    base = max(0, lead - w)  # earlier points are already judged: only their window is needed
    ext, lead = ext[base:], lead - base
    judged = len(ext) - w  # points with a full window of earlier points before them
    medians: dict[int, float] = {}
    if judged > 0:
        target = ext[w:]
        # a necessary condition first, from the window's min and max only (cheap): the
        # jump test x − med > R·|med| is x > f(med) with f(m) = m + R|m| convex, so x must
        # exceed min f over [min, max], reached at an end or at 0
        # on a max curve (negated) a drop to half the median mirrors a rise to twice it
        jump = spec.spike_jump if spec.mode != "max" else spec.spike_jump / (1 + spec.spike_jump)
        low = ext[:judged].copy()
        for c in range(1, w):
            np.minimum(low, ext[c : c + judged], out=low)
        bound = low + jump * np.abs(low)
        if jump > 1:  # f is then not monotone: its minimum may be at the window's max or 0
            high = ext[:judged].copy()
            for c in range(1, w):
                np.maximum(high, ext[c : c + judged], out=high)
            bound = np.minimum(bound, high + jump * np.abs(high))
            bound = np.where((low < 0) & (high > 0), np.minimum(bound, 0.0), bound)
        candidates = np.flatnonzero(target > bound)
        if len(candidates):
            windows = np.lib.stride_tricks.sliding_window_view(ext[:-1], w)[candidates]
            med = np.median(windows, axis=1)
            mad = np.median(np.abs(windows - med[:, None]), axis=1)
            dev = target[candidates] - med
            hit = (
                (dev > spec.spike_z * MAD_SIGMA * mad) & (dev > jump * np.abs(med)) & (dev > _TINY)
            )
            js = candidates[hit] + w - lead
            flags[js] = True
            medians = dict(zip(js.tolist(), med[hit].tolist(), strict=True))
    if not flags.any():
        streak_of(state, "spike").length = 0
        streak_of(state, "spike").open = None
        return
    sign = -1.0 if spec.mode == "max" else 1.0
    verb = "dropped" if spec.mode == "max" else "spiked"
    for episode in episodes(state, "spike", flags, fsteps, 1):
        _, first, last, _, _ = episode
        at = pos(first)
        value = float(vals[at])
        median = sign * medians[first]
        ratio = f" ({value / median:.1f}× the median {median:.4g})" if median else ""

        def make(
            first: int = first, value: float = value, ratio: str = ratio, at: int = at
        ) -> Anomaly:
            return Anomaly(
                rule="spike",
                key=key,
                level=LEVELS["spike"],
                message=f"{key} {verb} to {value:.4g} at step {int(fsteps[first])}{ratio}",
                value=value,
                ts=ts[at],
            )

        record(state, key, "spike", episode, int(fsteps[last]), make, out, last == n - 1)
