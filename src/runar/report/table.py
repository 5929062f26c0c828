"""A results table: runs grouped by config values, each metric as mean ± std over a group.

One value per run and metric (its last value, or its best by the metric's direction),
then per group the mean, the sample standard deviation (ddof=1, as Polars and numpy
with ddof=1 compute it) and n, the number of runs with a finite value. The best group
per column is the lowest mean for loss-like metrics and the highest otherwise, the
rule MetricSummary.best follows.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from runar.errors import UsageError
from runar.views.summary import lower_is_better

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views.summary import RunSummary

ValueKind = Literal["last", "best"]
MISSING: Final = "—"
SIGNIFICANT: Final = 3  # digits of a mean shown without a spread (n = 1 or a zero std)
MAX_DECIMALS: Final = 8
SCIENTIFIC_ABOVE: Final = 1e5  # a |mean| (or std) from here on, or below the next, shares a 10^k
SCIENTIFIC_BELOW: Final = 1e-3
RUN_COLUMN: Final = "run"  # the first column's title when runs are not grouped


@dataclass(frozen=True)
class Cell:
    """One metric over one group."""

    mean: float | None
    std: float | None  # None when fewer than two finite values
    n: int
    best: bool = False


@dataclass(frozen=True)
class Row:
    label: str
    runs: int  # runs in the group; a cell's n is smaller when some lack the metric
    cells: list[Cell]
    run_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResultTable:
    """Groups × metrics, ready for any of the output formats."""

    group_title: str
    metrics: list[str]
    lower_better: list[bool]
    rows: list[Row]
    value: ValueKind = "last"
    caption: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Number:
    """A mean and its spread rounded to the same decimals, with an optional shared 10^k."""

    mean: str
    std: str | None
    exponent: int | None = None


def select_runs(store: Store, refs: Sequence[str], where: str | None) -> list[RunSummary]:
    """The runs named by refs and/or selected by a query (both: runs in both), newest first."""
    from runar.views import open_views

    with open_views(store) as views:
        if refs:
            named = [views.get(ref) for ref in refs]
            if any(s.is_sweep_record for s in named):  # a sweep's name stands for its points
                sweeps = {s.run_id for s in named if s.is_sweep_record}
                points = [r for r in views.runs() if r.started and r.started.sweep_id in sweeps]
                named = [s for s in named if not s.is_sweep_record] + points
            chosen = list({s.run_id: s for s in named}.values())
        else:
            chosen = views.runs()
    if where:
        import runar.frames as frames

        kept = set(frames.runs(store=store, where=where)["run_id"].to_list())
        chosen = [s for s in chosen if s.run_id in kept]
    return chosen


def group_value(summary: RunSummary, key: str) -> Any:
    """A run's value for a group-by key: ``config.model``, ``model``, ``name`` or ``status``."""
    if key == "name":
        return summary.display_name or summary.run_id
    if key == "status":
        from runar.views.liveness import effective_status

        return effective_status(summary)
    config = summary.config_values()
    name = key.removeprefix("config.")
    if name in config:
        return config[name]
    nested = [k for k in config if k.endswith("." + name)]  # `lr` finds `optim.lr`, as queries do
    return config[nested[0]] if len(nested) == 1 else None


def run_value(summary: RunSummary, key: str, value: ValueKind) -> float | None:
    """The run's last (or best) value of a metric; None when absent or not finite."""
    number: float | None = None
    metric = summary.metrics.get(key)
    if value == "best" and metric is not None:
        number = metric.best(key)
    else:
        number = summary.last_metrics().get(key)
    if number is None or not math.isfinite(number):
        return None
    return float(number)


def _label(values: tuple[Any, ...]) -> str:
    def one(v: Any) -> str:
        if v is None:
            return MISSING
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, float):
            return f"{v:g}"
        if isinstance(v, (dict, list)):
            return json.dumps(v, default=str)
        return str(v)

    return ", ".join(one(v) for v in values)


def _order(values: tuple[Any, ...]) -> tuple[tuple[int, float, str], ...]:
    """Numbers in numeric order, then text, missing values last."""

    def one(v: Any) -> tuple[int, float, str]:
        if v is None:
            return (2, 0.0, "")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, _label((v,)))

    return tuple(one(v) for v in values)


def _cell(values: list[float]) -> Cell:
    if not values:
        return Cell(None, None, 0)
    std = statistics.stdev(values) if len(values) > 1 else None
    return Cell(statistics.fmean(values), std, len(values))


def build_table(
    runs: Sequence[RunSummary],
    metrics: Sequence[str],
    group_by: Sequence[str] = (),
    value: ValueKind = "last",
    caption: str | None = None,
    label: str | None = None,
) -> ResultTable:
    """Aggregate runs into groups × metrics; raises UsageError for keys no run has."""
    if not runs:
        raise UsageError("no run is selected; check the run names and --where with 'runar ls'")
    if not metrics:
        raise UsageError("name the metrics to show: --metrics acc,val/loss")

    def known(key: str) -> bool:
        return any(key in s.metrics or key in s.summary_values for s in runs)

    # `metrics.acc` as the query language spells it, unless a metric is really named so
    metrics = [k.removeprefix("metrics.") if not known(k) else k for k in metrics]
    metrics = [_logged_spelling(runs, k) if not known(k) else k for k in metrics]
    for key in metrics:
        if not known(key):
            raise UsageError(_missing_metric(runs, key))
    groups: dict[tuple[Any, ...], list[RunSummary]] = {}
    for summary in runs:
        if group_by:
            values = tuple(group_value(summary, key) for key in group_by)
        else:
            values = (summary.display_name or summary.run_id,)
        groups.setdefault(tuple(_hashable(v) for v in values), []).append(summary)
    if group_by:
        for i, key in enumerate(group_by):
            if all(values[i] is None for values in groups):
                raise UsageError(_missing_group_key(runs, key))
    rows: list[Row] = []
    for values in sorted(groups, key=_order):
        members = groups[values]
        cells = []
        for key in metrics:
            found = [run_value(s, key, value) for s in members]
            cells.append(_cell([v for v in found if v is not None]))
        rows.append(Row(_label(values), len(members), cells, [s.run_id for s in members]))
    lower = [lower_is_better(key) for key in metrics]
    rows = _mark_best(rows, lower)
    title = ", ".join(k.removeprefix("config.") for k in group_by) if group_by else RUN_COLUMN
    return ResultTable(title, list(metrics), lower, rows, value, caption, label)


def _logged_spelling(runs: Sequence[RunSummary], key: str) -> str:
    """``loss`` as the runs logged it when only its case differs (``Loss:`` in PyTorch's
    MNIST example); the key unchanged when none or several keys match."""
    logged = {k for s in runs for k in (*s.metrics, *s.summary_values)}
    folded = [k for k in logged if k.lower() == key.lower()]
    return folded[0] if len(folded) == 1 else key


def _missing_metric(runs: Sequence[RunSummary], key: str) -> str:
    """No run has ``key``: say which metrics the selected runs do have."""
    logged = sorted({k for s in runs for k in s.metrics})
    if not logged:
        return f"no selected run has a metric '{key}': they logged no metrics"
    shown = ", ".join(logged[:10]) + (" …" if len(logged) > 10 else "")
    return f"no selected run has a metric '{key}'; they have: {shown}"


def _missing_group_key(runs: Sequence[RunSummary], key: str) -> str:
    """Why a group-by key found nothing, naming the keys under it when it is a nested dict."""
    prefix = key.removeprefix("config.") + "."
    under = sorted({k for s in runs for k in s.config_values() if k.startswith(prefix)})
    if under:
        shown = ", ".join(f"config.{k}" for k in under[:3]) + (" …" if len(under) > 3 else "")
        return f"'{key}' holds several keys ({shown}); group by one of them"
    return f"no selected run has '{key}' in its config; see 'runar show RUN'"


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _mark_best(rows: list[Row], lower: list[bool]) -> list[Row]:
    best: list[float | None] = []
    for column, low in enumerate(lower):
        means = [r.cells[column].mean for r in rows if r.cells[column].mean is not None]
        best.append(None if len(means) < 2 else (min(means) if low else max(means)))
    return [
        Row(
            r.label,
            r.runs,
            [
                Cell(c.mean, c.std, c.n, c.mean is not None and c.mean == best[i])
                for i, c in enumerate(r.cells)
            ],
            r.run_ids,
        )
        for r in rows
    ]


def _decimals(spread: float | None, mean: float) -> int:
    """Decimals that show the spread to one significant digit (two when it starts with 1)."""
    if spread is not None and spread > 0 and math.isfinite(spread):
        digits = -math.floor(math.log10(spread))
        if round(spread * 10**digits, 6) < 2:
            digits += 1
        return min(max(digits, 0), MAX_DECIMALS)
    if mean == 0:
        return 0
    return min(max(SIGNIFICANT - 1 - math.floor(math.log10(abs(mean))), 0), MAX_DECIMALS)


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def format_number(mean: float, std: float | None) -> Number:
    """Round a mean and its std to the same decimals; a shared 10^k for large or tiny means."""
    exponent = None
    scale = max(abs(mean), std if std is not None and math.isfinite(std) else 0.0)
    if scale != 0 and not SCIENTIFIC_BELOW <= scale < SCIENTIFIC_ABOVE:
        exponent = math.floor(math.log10(scale))
        mean, std = mean / 10**exponent, None if std is None else std / 10**exponent
    decimals = _decimals(std, mean)
    return Number(_fixed(mean, decimals), None if std is None else _fixed(std, decimals), exponent)
