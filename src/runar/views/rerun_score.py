"""How close a run's reruns came to it: a 0–100 score and the itemised reasons.

Pure functions over the RunSummary of each run in a rerun family (views/reproducibility.py
finds the family): no I/O, nothing stored.

Each rerun is compared with the run it re-ran (a pair). A pair starts at 100 and loses:
    code differs (git commit or snapshot)                  40
    Python major.minor differs / only its patch            10 / 2
    each package added, removed or changed                  3, at most 20
    each config value that differs without --set            5, at most 20
    status differs (completed → failed)                    30
    each shared metric whose final or best value differs:
        within run-to-run noise                            10
        beyond it                                          20
    a metric only one of the two logged                    10  (metrics at most 40)
"Noise" is σ, the sample standard deviation of a metric's final (or best) value over the
reproductions of the same run when there are at least two (then beyond = more than 2 σ);
otherwise the relative difference |a − b| / max(|a|, |b|) against a 1 % tolerance.
Values equal to 1e-9 relative count as identical. Timing metrics (time, speed,
throughput, mfu…) are not compared. ``--set`` changes are intended: they cost nothing,
and such a rerun is a variation, listed but left out of the family's score, which is
the mean over the reproductions (reruns without ``--set``) that have finished.
When metrics differ, hints say why they might: no seed in the config, a GPU was used,
PYTHONHASHSEED unset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from runar.ids import short
from runar.views.summary import RunSummary

PENALTY_CODE: Final = 40
PENALTY_PYTHON: Final = 10
PENALTY_PYTHON_PATCH: Final = 2
PENALTY_PACKAGE: Final = 3
CAP_PACKAGES: Final = 20
PACKAGES_SHOWN: Final = 10  # a whole other venv differs in hundreds: name the first few
PENALTY_CONFIG: Final = 5
CAP_CONFIG: Final = 20
PENALTY_STATUS: Final = 30
PENALTY_NOISE: Final = 10
PENALTY_BEYOND: Final = 20
PENALTY_ONE_SIDED: Final = 10
CAP_METRICS: Final = 40
NOISE_SIGMAS: Final = 2.0
RELATIVE_TOLERANCE: Final = 0.01
IDENTICAL_RELATIVE: Final = 1e-9
_SEED: Final = re.compile(r"(^|[._/])(seed|\w*_seed|seed_\w*|random_state|manual_seed)$", re.I)
_TIMING_WORDS: Final = frozenset(
    {"time", "runtime", "duration", "elapsed", "speed", "throughput", "mfu", "s", "ms", "sec"}
    | {"secs", "second", "seconds"}
)


@dataclass(frozen=True)
class Reason:
    """One item of a score: what differs (or hints why), and what it cost."""

    kind: str  # code | environment | config | variation | status | metric | hint | info
    text: str
    penalty: int = 0
    key: str = ""  # the metric a metric reason is about
    distance: float = 0.0  # how far apart, in thresholds (> 1: beyond noise or tolerance)


@dataclass(frozen=True)
class PairReport:
    """A rerun against the run it re-ran."""

    original: str
    rerun: str
    score: int
    variation: bool  # the rerun changed arguments with --set
    finished: bool
    code_identical: bool | None  # None: neither run had git nor was a rerun of the other
    environment_identical: bool
    config_identical: bool  # apart from the intended --set changes
    reasons: list[Reason] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "rerun": self.rerun,
            "score": self.score,
            "variation": self.variation,
            "finished": self.finished,
            "code_identical": self.code_identical,
            "environment_identical": self.environment_identical,
            "config_identical": self.config_identical,
            "reasons": [r.text for r in self.reasons],
        }


@dataclass(frozen=True)
class FamilyReport:
    """An original, its reruns, the pairs and the family's score (None until a rerun ends)."""

    root: str
    runs: list[str]
    score: int | None
    reasons: list[Reason]
    pairs: list[PairReport]

    def record(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "runs": self.runs,
            "reruns": len(self.runs) - 1,
            "variations": sum(p.variation for p in self.pairs),
            "score": self.score,
            "reasons": [r.text for r in self.reasons],
            "pairs": [p.record() for p in self.pairs],
        }


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=IDENTICAL_RELATIVE, abs_tol=0.0)


def is_timing(key: str) -> bool:
    """A time or speed (``time_ms``, ``train_runtime``, ``it/s``, ``mfu``): never reproduced."""
    return not _TIMING_WORDS.isdisjoint(re.split(r"[^a-z0-9]+", key.lower()))


def _code(a: RunSummary, b: RunSummary, related: bool) -> tuple[bool | None, list[Reason]]:
    ga, gb = a.git, b.git
    if ga is None and gb is None:
        if related:  # `runar rerun` ran the original's kept files
            return True, []
        return None, [Reason("info", "code identity unknown: neither run was in git")]
    if ga is None or gb is None:
        return False, [Reason("code", "code differs: one run had no git state", PENALTY_CODE)]
    if (ga.commit, ga.snapshot) == (gb.commit, gb.snapshot):
        return True, []

    def name(git: Any) -> str:
        rev = (git.commit or "?")[:7]
        return f"{rev}+{git.snapshot[:7]}" if git.snapshot else rev

    return False, [Reason("code", f"code differs: {name(ga)} → {name(gb)}", PENALTY_CODE)]


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _environment(a: RunSummary, b: RunSummary) -> list[Reason]:
    sa, sb = a.started, b.started
    if sa is None or sb is None:
        return []
    reasons: list[Reason] = []
    if sa.python and sb.python and sa.python != sb.python:
        cost = PENALTY_PYTHON if _minor(sa.python) != _minor(sb.python) else PENALTY_PYTHON_PATCH
        reasons.append(Reason("environment", f"python {sa.python} → {sb.python}", cost))
    pa, pb = sa.packages, sb.packages
    changed = sorted(n for n in set(pa) & set(pb) if pa[n] != pb[n])
    removed = sorted(set(pa) - set(pb))
    added = sorted(set(pb) - set(pa))
    texts = [f"{n} {pa[n]} → {pb[n]}" for n in changed]  # the likeliest culprits first
    texts += [f"{n} {pa[n]} removed" for n in removed] + [f"{n} {pb[n]} added" for n in added]
    budget = CAP_PACKAGES
    costs = []
    for _ in texts:
        costs.append(min(PENALTY_PACKAGE, budget))
        budget -= costs[-1]
    shown = texts if len(texts) <= PACKAGES_SHOWN else texts[: PACKAGES_SHOWN - 1]
    reasons += [Reason("environment", t, c) for t, c in zip(shown, costs, strict=False)]
    if len(shown) < len(texts):
        rest = len(texts) - len(shown)
        cost = sum(costs[len(shown) :])
        reasons.append(Reason("environment", f"… and {rest} more package differences", cost))
    return reasons


def _config(a: RunSummary, b: RunSummary) -> list[Reason]:
    ca, cb = a.config_values(), b.config_values()
    # either side's --set (`runar diff` may name the variation first)
    sets = [
        *(a.started.rerun_set if a.started else {}),
        *(b.started.rerun_set if b.started else {}),
    ]
    intended = {k.replace("-", "_") for k in sets}
    reasons: list[Reason] = []
    budget = CAP_CONFIG
    for key in sorted(set(ca) | set(cb)):
        before, after = ca.get(key, "—"), cb.get(key, "—")
        if before == after:
            continue
        text = f"{key} {before!r} → {after!r}" if isinstance(before, str) else None
        text = text or f"{key} {before} → {after}"
        if key.rsplit(".", 1)[-1].replace("-", "_") in intended or key in intended:
            reasons.append(Reason("variation", f"{text} (--set, intended)"))
            continue
        cost = min(PENALTY_CONFIG, budget)
        budget -= cost
        reasons.append(Reason("config", f"config {text}", cost))
    return reasons


Sigma = dict[str, dict[str, float]]  # "final" | "best" → metric → σ over reproductions


def _metrics(a: RunSummary, b: RunSummary, sigma: Sigma) -> list[Reason]:
    reasons: list[Reason] = []
    budget = CAP_METRICS
    timing: list[str] = []
    for key in sorted(set(a.metrics) | set(b.metrics)):
        if is_timing(key):
            timing.append(key)
            continue
        ma, mb = a.metrics.get(key), b.metrics.get(key)
        if ma is None or mb is None:
            where = "the original" if mb is None else "the rerun"
            cost = min(PENALTY_ONE_SIDED, budget)
            budget -= cost
            reasons.append(Reason("metric", f"{key} logged only by {where}", cost, key, math.inf))
            continue
        worst: tuple[float, str] | None = None  # (how far, text)
        for label, va, vb in (
            ("final", ma.last, mb.last),
            ("best", ma.best(key), mb.best(key)),
        ):
            if _same(va, vb):
                continue
            far, text = _distance(key, label, va, vb, sigma.get(label, {}).get(key))
            if worst is None or far > worst[0]:
                worst = (far, text)
        if worst is None:
            continue
        beyond = worst[0] > 1.0
        cost = min(PENALTY_BEYOND if beyond else PENALTY_NOISE, budget)
        budget -= cost
        reasons.append(Reason("metric", worst[1], cost, key, worst[0]))
    if timing:
        reasons.append(Reason("info", f"timings not compared: {', '.join(timing)}"))
    return reasons


def _distance(
    key: str, label: str, a: float | None, b: float | None, sigma: float | None
) -> tuple[float, str]:
    """How far apart, in units of the threshold (> 1 is beyond noise), and the reason."""
    values = f"{label} {_num(a)} → {_num(b)}"
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return math.inf, f"{key} differs ({values})"
    delta = abs(a - b)
    if sigma is not None:
        if sigma == 0:
            return math.inf, f"{key} differs ({values}) though its reruns agree exactly"
        z = delta / sigma
        noise = "beyond run-to-run noise" if z > NOISE_SIGMAS else "within run-to-run noise"
        return z / NOISE_SIGMAS, f"{key} differs by {z:.1f} σ ({values}; {noise})"
    relative = delta / max(abs(a), abs(b))
    where = "beyond" if relative > RELATIVE_TOLERANCE else "within"
    return relative / RELATIVE_TOLERANCE, (
        f"{key} differs by {relative:.2%} ({values}; {where} the "
        f"{RELATIVE_TOLERANCE:.0%} tolerance, no spread known: rerun --times 2 measures it)"
    )


def _hints(a: RunSummary, b: RunSummary) -> list[Reason]:
    hints: list[Reason] = []
    seeds = {k: v for k, v in a.config_values().items() if _SEED.search(k)}
    if seeds:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(seeds.items()))
        hints.append(Reason("hint", f"hint: seeded ({shown}), yet results differ"))
    else:
        hints.append(
            Reason(
                "hint",
                "hint: no seed in the config (keys like seed, random_state, manual_seed): "
                "randomness is likely unseeded",
            )
        )
    if a.system.gpu_count or b.system.gpu_count:
        hints.append(
            Reason("hint", "hint: used a GPU: some CUDA kernels are nondeterministic by default")
        )
    if a.started is not None and "PYTHONHASHSEED" not in a.started.env:
        hints.append(
            Reason("hint", "hint: PYTHONHASHSEED not set: set and dict-of-str order varies")
        )
    return hints


def compare(
    a: RunSummary,
    b: RunSummary,
    sigma: Sigma | None = None,
    related: bool = False,
) -> PairReport:
    """The pair ``b`` (a rerun) against ``a`` (what it re-ran). Pure: no I/O."""
    code_identical, reasons = _code(a, b, related)
    environment = _environment(a, b)
    config = _config(a, b)
    reasons += environment + config
    finished = b.finished is not None
    if finished and a.recorded_status != b.recorded_status:
        reasons.append(
            Reason("status", f"status {a.recorded_status} → {b.recorded_status}", PENALTY_STATUS)
        )
    elif not finished:
        reasons.append(Reason("info", f"{short(b.run_id)} is still running"))
    metrics = _metrics(a, b, sigma or {})
    reasons += metrics
    if any(r.kind == "metric" for r in metrics):
        reasons += _hints(a, b)
    score = max(0, 100 - sum(r.penalty for r in reasons))
    variation = bool(b.started and b.started.rerun_set)
    return PairReport(
        original=a.run_id,
        rerun=b.run_id,
        score=score,
        variation=variation,
        finished=finished,
        code_identical=code_identical,
        environment_identical=not environment,
        config_identical=not any(r.kind == "config" for r in config),
        reasons=reasons,
    )


def spread(reruns: Iterable[RunSummary]) -> Sigma:
    """σ of each metric's final and best value over reproductions of one run (two or more)."""
    seen: dict[str, dict[str, list[float]]] = {"final": {}, "best": {}}
    for run in reruns:
        for key, metric in run.metrics.items():
            for label, value in (("final", metric.last), ("best", metric.best(key))):
                if value is not None and math.isfinite(value):
                    seen[label].setdefault(key, []).append(value)
    sigma: Sigma = {"final": {}, "best": {}}
    for label, by_key in seen.items():
        for key, values in by_key.items():
            if len(values) >= 2:
                mean = sum(values) / len(values)
                variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
                sigma[label][key] = math.sqrt(variance)
    return sigma


def is_reproduction(run: RunSummary) -> bool:
    return run.started is not None and not run.started.rerun_set


def assess(members: list[RunSummary]) -> FamilyReport:
    """The family's report; ``members[0]`` is the original. Pure: no I/O."""
    by_id = {m.run_id: m for m in members}
    children: dict[str, list[RunSummary]] = {}
    for run in members[1:]:
        parent = run.started.rerun_of if run.started else None
        if parent in by_id:
            children.setdefault(parent, []).append(run)
    pairs: list[PairReport] = []
    for parent_id, kids in children.items():
        finished = [k for k in kids if is_reproduction(k) and k.finished is not None]
        sigma = spread(finished)
        for kid in sorted(kids, key=lambda k: (k.created_ts, k.run_id)):
            pairs.append(compare(by_id[parent_id], kid, sigma, related=True))
    scored = [p for p in pairs if not p.variation and p.finished]
    score = round(sum(p.score for p in scored) / len(scored)) if scored else None
    reasons = _family_reasons(scored)
    if not scored:
        reasons.append(
            Reason("info", "no finished rerun without --set yet: 'runar rerun RUN' measures it")
        )
    return FamilyReport(members[0].run_id, [m.run_id for m in members], score, reasons, pairs)


_ORDER: Final = ("code", "environment", "config", "status", "metric", "variation", "hint", "info")


def _family_reasons(pairs: list[PairReport]) -> list[Reason]:
    """Each reason once; of a metric, only the pair where it strayed furthest."""
    worst: dict[str, Reason] = {}
    others: dict[str, Reason] = {}
    for pair in pairs:
        for reason in pair.reasons:
            if reason.kind == "metric":
                held = worst.get(reason.key)
                if held is None or reason.distance > held.distance:
                    worst[reason.key] = reason
            else:
                others.setdefault(reason.text, reason)
    found = [*others.values(), *worst.values()]
    return sorted(found, key=lambda r: (_ORDER.index(r.kind), r.key))
