"""Anomalies on metric curves: what is found, how a key is watched, what each key remembers.

Data and thresholds only, no rules, so importing this module (RunSummary does) stays
cheap. The rules, on the curve turned so that lower is better (a ``max`` key is negated):

- ``nonfinite``: NaN or ±inf (error);
- ``spike``: a point far above the median of the previous points, in units of
  1.4826·MAD (a robust z-score), and at least a minimum relative jump above it (warn);
- ``divergence``: the smoothed curve gave back much of its improvement and stayed
  there for a window (error);
- ``plateau``: the best smoothed value did not improve for a long window (info).

Each key keeps a small ``KeyState`` (the last finite values, its best smoothed value, the
streak each rule is in), so folding a curve in many small batches gives exactly what one
big batch gives. Where things are:

- views/anomaly_fold.py: ``fold_points``, one key's new points through its rules;
- views/anomaly_point_rules.py (nonfinite, spike), views/anomaly_trend_rules.py
  (divergence, plateau), views/anomaly_episodes.py (flagged runs → anomalies);
- views/anomaly_config.py: which keys are watched, with which settings;
- views/anomaly_watch.py: the projector's hook, alerts; views/anomaly_read.py: ``stall``
  (a live run that stopped logging) and what front-ends read.

Thresholds and why: docs/anomalies.md.
"""

from __future__ import annotations

import math
from typing import Final, Literal, Protocol

import msgspec

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
    printed: bool = False  # fed by points read from printed output, not logged ones
