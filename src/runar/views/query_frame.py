"""The frame a query runs over, built from summaries with only the columns it refers to.

``runar ls --where``, ``runar export``, ``frames.runs(where=)`` and the dashboard's
filter all select runs here, so one query gives one run set everywhere. Column names
are the query language's own (see views/query.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from runar.views.query import compile_query, sort_key
from runar.views.query_columns import Column, Needs, needs_of, run_columns
from runar.views.query_columns import typed_columns as plain_typed
from runar.views.query_syntax import parse, parse_sort

if TYPE_CHECKING:
    import polars as pl

    from runar.views.summary import RunSummary

TAG_SEPARATOR: Final = "\x1f"  # a character no tag holds (tags are names runar checks)


def _series(name: str, column: Column) -> pl.Series:
    """A plain column as the Polars series of its kind."""
    import polars as pl

    if column.kind == "tags":
        return _tags(column.values).alias(name)
    dtype = {
        "null": pl.Null, "bool": pl.Boolean, "int": pl.Int64, "float": pl.Float64, "str": pl.String,
    }[column.kind]  # fmt: skip
    return pl.Series(name, column.values, dtype=dtype)


def frame_of(columns: Mapping[str, Column]) -> pl.DataFrame:
    """The Polars frame of plain query columns (query_columns.py), in their order."""
    import polars as pl

    return pl.DataFrame([_series(name, column) for name, column in columns.items()])


def typed_columns(name: str, values: list[Any]) -> dict[str, pl.Series]:
    """A key's column: numbers, flags or text; numbers mixed with text make two columns
    (``NAME`` the numbers, ``NAME as text`` every value as text; see query_columns.py)."""
    return {key: _series(key, column) for key, column in plain_typed(name, values).items()}


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
    return frame_of(run_columns(runs, needs, now_ns, default_project))


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
