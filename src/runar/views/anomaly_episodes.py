"""Runs of flagged points become anomalies: counted across batches, extended, capped.

A rule flags points; here a run of flagged points long enough to count becomes one
anomaly, and a run that goes on into the next batch extends that anomaly instead of
starting another, so the anomalies do not depend on how the points were batched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from runar.views.anomalies import MAX_EPISODES, Anomaly, KeyState, Streak

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Ints = list[int]
Episode = tuple[int, int, int, int | None, int]


def streak_of(state: KeyState, rule: str) -> Streak:
    """The rule's current streak on this key, made on first use."""
    streak = state.streaks.get(rule)
    if streak is None:
        streak = state.streaks[rule] = Streak()
    return streak


def episodes(
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

    streak = streak_of(state, rule)
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


def record(
    state: KeyState,
    key: str,
    rule: str,
    episode: Episode,
    last_step: int,
    make: Callable[[], Anomaly],
    out: list[Anomaly],
    ongoing: bool,
) -> None:
    """Add an anomaly for an episode, or extend the one it continues."""
    start_step, _, _, extends, _ = episode
    streak = streak_of(state, rule)
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
    anomaly = make()
    anomaly.first_step, anomaly.last_step = start_step, last_step
    out.append(anomaly)
    if ongoing:
        streak.open = start_step
