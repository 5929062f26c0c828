"""The frame a query runs over, built from summaries with only the columns it refers to.

``runar ls --where``, ``runar export``, ``frames.runs(where=)`` and the dashboard's
filter all select runs here, so one query gives one run set everywhere. Column names
are the query language's own (see views/query.py).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from runar.views.liveness import run_seconds
from runar.views.query import TEXT_SUFFIX, Needs, compile_query, needs_of, sort_key
from runar.views.query_syntax import parse, parse_sort

if TYPE_CHECKING:
    import polars as pl

    from runar.views.summary import RunSummary

TAG_SEPARATOR: Final = "\x1f"  # a character no tag holds (tags are names runar checks)


def typed_columns(name: str, values: list[Any]) -> dict[str, pl.Series]:
    """A key's column: numbers, flags or text; numbers mixed with text make two columns.

    ``lr`` is 1e-3 in one run and "auto" in another: ``NAME`` holds the numbers (the text
    null) so ``lr < 1e-2`` compares numbers, and ``NAME as text`` holds every value as
    text so ``lr = auto`` still finds the other run.
    """
    import polars as pl

    present = [v for v in values if v is not None]
    numbers = [v for v in present if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers and any(isinstance(v, str) for v in present):
        as_numbers = [
            float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
            for v in values
        ]
        return {
            name: pl.Series(name, as_numbers, dtype=pl.Float64),
            name + TEXT_SUFFIX: _typed(values).alias(name + TEXT_SUFFIX),
        }
    return {name: _typed(values).alias(name)}


def _typed(values: list[Any]) -> pl.Series:
    """One column: whole numbers Int64, numbers Float64, flags Boolean, else text."""
    import polars as pl

    present = [v for v in values if v is not None]
    if not present:
        return pl.Series(values, dtype=pl.Null)
    if all(isinstance(v, bool) for v in present):
        return pl.Series(values, dtype=pl.Boolean)
    if all(
        isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63 for v in present
    ):
        return pl.Series(values, dtype=pl.Int64)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pl.Series([None if v is None else float(v) for v in values], dtype=pl.Float64)
    return pl.Series(
        [None if v is None else v if isinstance(v, str) else _text(v) for v in values],
        dtype=pl.String,
    )


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=repr)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return str(value)


def _tags(tags: list[list[str]]) -> pl.Series:
    """A list column, built by splitting joined text: 10x faster than from Python lists."""
    import polars as pl

    joined = pl.Series([TAG_SEPARATOR.join(t) for t in tags], dtype=pl.String)
    split = (
        pl.when(joined.str.len_bytes() == 0)
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(joined.str.split(TAG_SEPARATOR))
    )
    return pl.select(split.alias("tags")).to_series()


def query_frame(
    runs: Sequence[tuple[RunSummary, str]],
    needs: Needs,
    now_ns: int | None = None,
    default_project: str | None = None,
) -> pl.DataFrame:
    """One row per (summary, effective status), with the columns ``needs`` asks for.

    Args:
        runs: summaries and their effective status.
        needs: the column families to build (views/query.py's needs_of()).
        now_ns: the clock for the duration of running runs.
        default_project: the project of runs that recorded none (the store's).
    """
    import polars as pl

    now = time.time_ns() if now_ns is None else now_ns
    n = len(runs)
    data: dict[str, pl.Series] = {
        "id": pl.Series([s.run_id for s, _ in runs], dtype=pl.String),
        "name": pl.Series([s.display_name or None for s, _ in runs], dtype=pl.String),
        "status": pl.Series([status for _, status in runs], dtype=pl.String),
        "tags": _tags([s.tag_list() for s, _ in runs]),
        "created": pl.Series([s.created_ts or None for s, _ in runs], dtype=pl.Int64),
        "duration": pl.Series(
            [run_seconds(s, status, now) for s, status in runs], dtype=pl.Float64
        ),
    }
    projects = [getattr(s, "project", None) or default_project for s, _ in runs]
    data["project"] = pl.Series(projects, dtype=pl.String)
    data["sweep"] = pl.Series([getattr(s, "sweep", None) for s, _ in runs], dtype=pl.String)
    if needs.git:
        gits = [s.git for s, _ in runs]
        data["git.branch"] = pl.Series([g.branch if g else None for g in gits], dtype=pl.String)
        data["git.commit"] = pl.Series([g.commit if g else None for g in gits], dtype=pl.String)
    columns: dict[str, list[Any]] = {}

    def put(name: str, row: int, value: Any) -> None:
        column = columns.get(name)
        if column is None:
            column = columns[name] = [None] * n
        column[row] = value

    for row, (summary, _) in enumerate(runs):
        if needs.config:
            for key, value in summary.config_values().items():
                put(f"config.{key}", row, value)
        if needs.metrics:
            for key, value in summary.last_metrics().items():
                put(f"metrics.{key}", row, value)
        if needs.summary:
            for key, register in summary.summary_values.items():
                put(f"summary.{key}", row, register.value)
        if needs.extrema:
            for key, metric in summary.metrics.items():
                put(f"min(metrics.{key})", row, metric.min)
                put(f"max(metrics.{key})", row, metric.max)
    for name, values in columns.items():
        data.update(typed_columns(name, values))
    return pl.DataFrame(data)


def select_runs(
    runs: Sequence[tuple[RunSummary, str]],
    where: str | None = None,
    sort: str | None = None,
    now_ns: int | None = None,
    default_project: str | None = None,
) -> list[str]:
    """Ids of the runs matching ``where``, in ``sort`` order (else as given)."""
    node = parse(where) if where else None
    sort_field = parse_sort(sort)[0] if sort else None
    frame = query_frame(runs, needs_of(node, sort_field), now_ns, default_project)
    return select_ids(frame, where, sort, now_ns)


def select_ids(
    frame: pl.DataFrame, where: str | None, sort: str | None, now_ns: int | None = None
) -> list[str]:
    """Ids of a query frame's rows matching ``where``, in ``sort`` order (else the frame's)."""
    lazy = frame.lazy()
    expr = compile_query(parse(where) if where else None, frame.schema, where or "", now_ns)
    if expr is not None:
        lazy = lazy.filter(expr)
    if sort:
        key, descending = sort_key(sort, frame.schema)
        if key is not None:
            lazy = lazy.sort(key, descending=descending, nulls_last=True, maintain_order=True)
    return lazy.select("id").collect()["id"].to_list()


class QueryFrames:
    """One query frame reused across queries over the same runs (a filter box as you type).

    Rebuilt when ``invalidate()`` says the runs changed, or when a query names a column
    family the frame lacks; config and metric columns are always built, as most queries
    name them.
    """

    def __init__(self) -> None:
        self.frame: pl.DataFrame | None = None
        self.needs = Needs()

    def invalidate(self) -> None:
        self.frame = None

    def select(
        self,
        runs: Callable[[], Sequence[tuple[RunSummary, str]]],
        where: str,
        now_ns: int | None = None,
        default_project: str | None = None,
    ) -> list[str]:
        """Ids of the runs ``where`` keeps, in the order ``runs()`` gives them."""
        needs = needs_of(parse(where)) | Needs(config=True, metrics=True)
        if self.frame is None or not self.needs.covers(needs):
            self.needs = needs | (self.needs if self.frame is not None else Needs())
            self.frame = query_frame(runs(), self.needs, now_ns, default_project)
        return select_ids(self.frame, where, None, now_ns)
