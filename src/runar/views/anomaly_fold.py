"""One key's new points through the rules it has on: the curve rules' single entry point.

numpy loads on the first fold, not at import, so the projector's import stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from runar.views.anomalies import Anomaly, KeyState, Stamps, WatchSpec
from runar.views.anomaly_episodes import streak_of
from runar.views.anomaly_point_rules import nonfinite, spikes
from runar.views.anomaly_trend_rules import trend

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]


def fold_points(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    steps: list[int | None],
    values: Sequence[float] | Floats,
    ts: Stamps,
    out: list[Anomaly],
) -> None:
    """Fold one key's new points (in log order) into its state; new anomalies go to ``out``.

    Args:
        steps: each point's step; None for a step-less point (its index is used).
        ts: each point's time (ns), for the anomaly's ``ts``.
        out: the run's anomaly list; an anomaly still going on is extended in place.
    """
    import numpy as np

    # values near the float limit overflow to inf, and inf − inf is NaN: the comparisons
    # then flag nothing, as they should, and no RuntimeWarning lands in `runar ls`'s output
    with np.errstate(over="ignore", invalid="ignore"):
        _fold(state, key, spec, steps, values, ts, out)


def _fold(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    steps: list[int | None],
    values: Sequence[float] | Floats,
    ts: Stamps,
    out: list[Anomaly],
) -> None:
    import numpy as np

    n = len(values)
    if not n or not spec.rules:
        state.points += n
        return
    if isinstance(values, np.ndarray):
        vals = np.ascontiguousarray(values, dtype=np.float64)
    else:
        vals = np.fromiter(values, dtype=np.float64, count=n)
    step_list: list[int] = (
        [s if s is not None else state.points + i for i, s in enumerate(steps)]
        if None in steps
        else steps  # type: ignore[assignment]
    )  # a list: only the steps of what is found are ever read
    state.points += n
    finite = np.isfinite(vals)
    all_finite = bool(finite.all())
    if "nonfinite" in spec.rules:
        nonfinite(state, key, vals, step_list, ts, finite, out)
    elif not all_finite:
        streak_of(state, "nonfinite").length = 0
    curve_rules = [r for r in ("spike", "divergence", "plateau") if r in spec.rules]
    if not curve_rules:
        return
    if all_finite:
        x, fsteps, where = vals, step_list, None
    else:
        where = np.flatnonzero(finite)
        x, fsteps = vals[where], [step_list[i] for i in where.tolist()]
    if not len(x):
        return
    if spec.mode == "max":
        x = -x
    history = int(max(spec.spike_window, spec.smooth))
    tail = np.frombuffer(state.tail, dtype=np.float64)
    ext = np.concatenate((tail, x)) if len(tail) else x
    lead = len(tail)

    def pos(j: int) -> int:  # index in the key's points of the j-th finite point
        return int(where[j]) if where is not None else j

    if "spike" in curve_rules:
        spikes(state, key, spec, ext, lead, fsteps, vals, pos, ts, out)
    if "divergence" in curve_rules or "plateau" in curve_rules:
        trend(state, key, spec, ext, lead, fsteps, vals, pos, ts, out)
    state.finite += len(x)
    state.tail = ext[-history:].tobytes()
