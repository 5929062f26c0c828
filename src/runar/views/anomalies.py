"""Anomalies on metric curves: the rules, folded incrementally per key batch; no I/O.

Each key keeps a small ``KeyState`` (the last finite values, its best smoothed value, the
streak each rule is in), so folding a curve in many small batches gives exactly what one
big batch gives: every figure at a point is computed from the same window of points, in
the same order, whatever the split. Rules, on the curve turned so that lower is better
(a ``max`` key is negated):

- ``nonfinite``: NaN or ±inf (error);
- ``spike``: a point far above the median of the previous points, in units of
  1.4826·MAD (a robust z-score), and at least a minimum relative jump above it (warn);
- ``divergence``: the smoothed curve gave back much of its improvement and stayed
  there for a window (error);
- ``plateau``: the best smoothed value did not improve for a long window (info).

``stall`` (a live run that stopped logging) and alerts are not curve rules: see
views/anomaly_watch.py. Thresholds and why: docs/anomalies.md. numpy loads on the first
fold, so importing this module (RunSummary does) stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal, Protocol

import msgspec

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Ints = list[int]

Level = Literal["info", "warn", "error"]


class Stamps(Protocol):
    """Each point's time (ns), by index: read only for the points an anomaly names."""

    def __getitem__(self, i: int, /) -> int: ...


RULES: Final = ("nonfinite", "spike", "divergence", "plateau")
LEVELS: Final[dict[str, Level]] = {
    "nonfinite": "error",
    "spike": "warn",
    "divergence": "error",
    "plateau": "info",
    "stall": "warn",
}
SEVERITY: Final = {"info": 0, "warn": 1, "error": 2}

SPIKE_WINDOW: Final = 32  # previous finite points whose median/MAD a point is judged against
SPIKE_Z: Final = 8.0  # robust z-score: distance from the median in units of 1.4826·MAD
SPIKE_JUMP: Final = 1.0  # and at least this far above it, relative: 1.0 = twice the median
SMOOTH_WINDOW: Final = 16  # points averaged into the smoothed curve
DIVERGENCE_GIVEN_BACK: Final = 0.5  # fraction of the improvement (head − best) given back
DIVERGENCE_RISE: Final = 0.25  # and at least this far above the best, relative to |best|
DIVERGENCE_POINTS: Final = 16  # consecutive smoothed points that must stay diverged
PLATEAU_WINDOW: Final = 200  # points over which the best must improve …
PLATEAU_GAIN: Final = 0.01  # … by at least this fraction of |best|
MAX_EPISODES: Final = 50  # anomalies kept per (rule, key); later ones are only counted
MAD_SIGMA: Final = 1.4826  # MAD → standard deviation for normal noise
_TINY: Final = 1e-12


class Anomaly(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One thing worth a look: which rule, on which key, over which steps, and why."""

    rule: str  # nonfinite | spike | divergence | plateau | stall | alert
    key: str  # the metric key; an alert's title
    level: str = "warn"  # info | warn | error
    first_step: int | None = None
    last_step: int | None = None
    message: str = ""  # one line a person reads
    value: float | None = None  # the value that triggered it, as logged
    ts: int = 0  # when the triggering point (or the alert) was recorded, ns

    @property
    def steps(self) -> str:
        """'200' or '512–640'; '' when the anomaly has no step."""
        if self.first_step is None:
            return ""
        if self.last_step is None or self.last_step == self.first_step:
            return str(self.first_step)
        return f"{self.first_step}–{self.last_step}"


class WatchSpec(msgspec.Struct, kw_only=True, omit_defaults=True):
    """How one key is watched: its direction, the rules on and their thresholds."""

    mode: str = "min"  # min: lower is better (a loss); max: higher is better
    rules: tuple[str, ...] = RULES
    spike_z: float = SPIKE_Z
    spike_jump: float = SPIKE_JUMP
    spike_window: int = SPIKE_WINDOW
    smooth: int = SMOOTH_WINDOW
    divergence: float = DIVERGENCE_GIVEN_BACK
    divergence_rise: float = DIVERGENCE_RISE
    divergence_points: int = DIVERGENCE_POINTS
    plateau: int = PLATEAU_WINDOW
    plateau_gain: float = PLATEAU_GAIN


class Streak(msgspec.Struct, array_like=True):
    """A rule's current run of flagged points: its length, first step, and the first step
    of the anomaly it keeps extending (None: none). A step, not a list index, so the run's
    anomalies can be kept in a canonical order."""

    length: int = 0
    start: int = 0
    open: int | None = None


class KeyState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the rules remember of one key between batches."""

    points: int = 0  # every point seen, finite or not: the step of a step-less point
    finite: int = 0
    tail: bytes = b""  # the last finite values (float64, lower is better), enough for windows
    best: float = math.inf  # best smoothed value so far
    peak: float = -math.inf  # highest smoothed value so far
    head: float = -math.inf  # highest smoothed value before the best was reached
    bests: bytes = b""  # best after each of the last `plateau` finite points (float64)
    best_steps: bytes = b""  # the steps of those points (int64)
    streaks: dict[str, Streak] = {}
    kept: dict[str, int] = {}  # anomalies recorded per rule
    dropped: int = 0  # past MAX_EPISODES


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
        _nonfinite(state, key, vals, step_list, ts, finite, out)
    elif not all_finite:
        _streak(state, "nonfinite").length = 0
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
        _spikes(state, key, spec, ext, lead, fsteps, vals, pos, ts, out)
    if "divergence" in curve_rules or "plateau" in curve_rules:
        _trend(state, key, spec, ext, lead, fsteps, vals, pos, ts, out)
    state.finite += len(x)
    state.tail = ext[-history:].tobytes()


def _streak(state: KeyState, rule: str) -> Streak:
    streak = state.streaks.get(rule)
    if streak is None:
        streak = state.streaks[rule] = Streak()
    return streak


Episode = tuple[int, int, int, int | None, int]


def _episodes(
    state: KeyState,
    rule: str,
    flags: npt.NDArray[np.bool_],
    steps: Ints,
    need: int,
) -> list[Episode]:
    """Runs of flagged points long enough to count.

    Each is (start step, first j, last j, extends, confirm j): ``extends`` is the first
    step of the anomaly the run continues, else None; ``confirm`` is the point at which
    the run reached ``need`` points (the streak carried from earlier batches counts), so
    what an anomaly says does not depend on how the points were batched.
    """
    import numpy as np

    streak = _streak(state, rule)
    if not flags.any():
        streak.length, streak.open = 0, None
        return []
    edges = np.diff(flags.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    lengths = ends - starts + 1
    carried = streak.length if starts[0] == 0 else 0
    totals = lengths.copy()
    totals[0] += carried
    found: list[Episode] = []
    for i in np.flatnonzero(totals >= need):
        first, last = int(starts[i]), int(ends[i])
        continues = i == 0 and carried > 0
        start_step = streak.start if continues else int(steps[first])
        extends = streak.open if continues else None
        confirm = max(first, first + need - 1 - (carried if continues else 0))
        found.append((start_step, first, last, extends, confirm))
    n = len(flags)
    if ends[-1] == n - 1:
        continued = len(starts) == 1 and starts[0] == 0
        streak.length = int(totals[-1])
        streak.start = streak.start if continued and carried else int(steps[starts[-1]])
        if not (continued and carried):
            streak.open = None
    else:
        streak.length, streak.open = 0, None
    return found


def _record(
    state: KeyState,
    key: str,
    rule: str,
    episode: Episode,
    last_step: int,
    make: object,
    out: list[Anomaly],
    ongoing: bool,
) -> None:
    """Add an anomaly for an episode, or extend the one it continues."""
    start_step, _, _, extends, _ = episode
    streak = _streak(state, rule)
    if extends is not None:
        for anomaly in reversed(out):
            if anomaly.first_step == extends and anomaly.rule == rule and anomaly.key == key:
                anomaly.last_step = last_step
                streak.open = extends if ongoing else None
                return
    kept = state.kept.get(rule, 0)
    if kept >= MAX_EPISODES:
        state.dropped += 1
        if ongoing:
            streak.open = None
        return
    state.kept[rule] = kept + 1
    anomaly = make()  # type: ignore[operator]
    anomaly.first_step, anomaly.last_step = start_step, last_step
    out.append(anomaly)
    if ongoing:
        streak.open = start_step


def _nonfinite(
    state: KeyState,
    key: str,
    vals: Floats,
    steps: Ints,
    ts: Stamps,
    finite: npt.NDArray[np.bool_],
    out: list[Anomaly],
) -> None:
    n = len(vals)
    for episode in _episodes(state, "nonfinite", ~finite, steps, 1):
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

        _record(state, key, "nonfinite", episode, int(steps[last]), make, out, last == n - 1)


def _spikes(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    ext: Floats,
    lead: int,
    fsteps: Ints,
    vals: Floats,
    pos: object,
    ts: Stamps,
    out: list[Anomaly],
) -> None:
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
        _streak(state, "spike").length = 0
        _streak(state, "spike").open = None
        return
    sign = -1.0 if spec.mode == "max" else 1.0
    verb = "dropped" if spec.mode == "max" else "spiked"
    for episode in _episodes(state, "spike", flags, fsteps, 1):
        _, first, last, _, _ = episode
        at = pos(first)  # type: ignore[operator]
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

        _record(state, key, "spike", episode, int(fsteps[last]), make, out, last == n - 1)


def _trend(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    ext: Floats,
    lead: int,
    fsteps: Ints,
    vals: Floats,
    pos: object,
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
    # values near the float limit sum to inf: a smoothed inf is a diverged curve, not a
    # reason to print numpy's RuntimeWarning into the output of `runar ls`
    with np.errstate(over="ignore"):
        for c in range(1, s_n):
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
        for episode in _episodes(state, "divergence", diverged, steps, int(spec.divergence_points)):
            start_step, _, last, _, j = episode
            at = pos(offset + j)  # type: ignore[operator]

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
            _record(state, key, "divergence", episode, int(steps[last]), make, out, ongoing)
    if "plateau" in spec.rules:
        _plateau(state, key, spec, best, steps, diverged, offset, vals, pos, ts, out)
    state.best = float(best[-1])
    state.peak = float(peak[-1])
    state.head = float(head[-1])


def _plateau(
    state: KeyState,
    key: str,
    spec: WatchSpec,
    best: Floats,
    steps: Ints,
    diverged: npt.NDArray[np.bool_],
    offset: int,
    vals: Floats,
    pos: object,
    ts: Stamps,
    out: list[Anomaly],
) -> None:
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
    for episode in _episodes(state, "plateau", flags, steps, 1):
        _, first, last, extends, confirm = episode
        since = step_at(max(0, int(lag[first])))
        episode = (since, first, last, extends, confirm) if extends is None else episode
        at = pos(offset + first)  # type: ignore[operator]

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

        _record(state, key, "plateau", episode, int(steps[last]), make, out, last == len(best) - 1)
    state.bests = all_bests[-p:].tobytes()
    recent = np.asarray(steps[-p:], dtype=np.int64)
    state.best_steps = np.concatenate((old_steps, recent))[-p:].tobytes()
