"""``runar.watch(key, ...)`` and ``runar.alert(title, ...)``: recorded as events, judged later.

Nothing is computed in the training process: a watch is one WatchSet event telling the
projector how to judge a key, an alert one AlertRaised event. Both go to the current run
(the runner's under ``runar``, the script's own under plain ``python``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Final

RULES: Final = ("nonfinite", "spike", "divergence", "plateau")  # views/anomalies.py's RULES
LEVELS: Final = ("info", "warn", "error")
THRESHOLDS: Final = (
    "spike_z",
    "spike_jump",
    "spike_window",
    "smooth",
    "divergence",
    "divergence_rise",
    "divergence_points",
    "plateau",
    "plateau_gain",
)


def watch(
    key: str,
    mode: str | None = None,
    *,
    rules: Iterable[str] | None = None,
    spike: float | None = None,
    jump: float | None = None,
    divergence: float | None = None,
    plateau: int | None = None,
    **thresholds: float,
) -> None:
    """Watch a metric for anomalies, e.g. ``watch("val/loss", mode="min", spike=6)``.

    Args:
        mode: "min" when lower is better (a loss), "max" when higher is (an accuracy);
            guessed from the name when omitted.
        rules: the rules on, among nonfinite, spike, divergence, plateau; ``[]`` turns
            the key off. All of them when omitted.
        spike: the robust z-score a spike must exceed (default 8).
        jump: the minimum relative jump of a spike above the median (default 1.0: 2×).
        divergence: the fraction of its improvement a smoothed curve must give back to
            count as diverging (default 0.5).
        plateau: the points over which no 1% improvement is a plateau (default 200).
        thresholds: any other WatchSpec setting (spike_window, smooth, plateau_gain…).
    """
    from runar.sdk.current import current_run

    if not isinstance(key, str) or not key:
        raise TypeError(f"watch() takes a metric key (a non-empty str), got {key!r}")
    if mode not in (None, "min", "max"):
        raise ValueError(f"watch({key!r}): mode is 'min' or 'max', not {mode!r}")
    if isinstance(rules, str):  # rules="spike" would be read letter by letter
        raise TypeError(f"watch({key!r}): rules takes a list of names, e.g. rules=[{rules!r}]")
    chosen = None if rules is None else [str(r) for r in rules]
    for rule in chosen or ():
        if rule not in RULES:
            raise ValueError(f"watch({key!r}): unknown rule {rule!r}; rules are {', '.join(RULES)}")
    named = {"spike_z": spike, "spike_jump": jump, "divergence": divergence, "plateau": plateau}
    settings = {k: v for k, v in {**named, **thresholds}.items() if v is not None}
    for name, value in settings.items():
        if name not in THRESHOLDS:
            known = ", ".join(THRESHOLDS)
            raise TypeError(f"watch({key!r}): unknown setting {name!r}; settings are {known}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"watch({key!r}): {name} must be a positive number, not {value!r}")
    run = current_run()
    run._emit(
        run._ev.WatchSet(
            key=key,
            mode=mode,
            rules=chosen,
            thresholds={k: float(v) for k, v in settings.items()},
        )
    )


def alert(title: str, text: str = "", level: str = "warn", step: int | None = None) -> None:
    """Record something a person should see, shown like an anomaly (``runar ls``, show, TUI).

    Args:
        level: "info", "warn" or "error".
        step: the step it concerns; the latest step this process logged when omitted.
    """
    from runar.sdk.current import current_run

    if not isinstance(title, str) or not title.strip():
        raise TypeError(f"alert() takes a non-empty title, got {title!r}")
    if level not in LEVELS:
        raise ValueError(f"alert({title!r}): level is one of {', '.join(LEVELS)}, not {level!r}")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
        raise TypeError(f"alert({title!r}): step is an int, not {step!r}")
    run = current_run()
    if step is None and run._next_step > 0:
        step = run._next_step - 1  # the latest step logged, fixed now rather than when folded
    run._emit(run._ev.AlertRaised(title=title, text=str(text), level=level, step=step))  # type: ignore[arg-type]
