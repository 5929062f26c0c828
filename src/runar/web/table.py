"""Every run's row in memory and one Polars frame over them: filter, sort, page in milliseconds.

The frame is rebuilt only for the runs a catch-up changed (old rows dropped, new rows
appended, relaxed to common types), so a live run refreshing every 100 ms does not
rebuild 10,000 rows. Readers take a consistent snapshot under a short lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from runar.errors import InvalidQuery, RunNotFound
from runar.ids import resolve
from runar.views.query import compile_filter, sort_key
from runar.views.query_frame import typed_columns
from runar.web.rows import Row, row_cells
from runar.web.series import whole_number

if TYPE_CHECKING:
    import polars as pl

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 10_000
_ORDER: Final = ("started_at", "id")


@dataclass(frozen=True)
class Page:
    """One page of filtered, sorted runs."""

    rows: list[Row]
    total: int
    next_cursor: str | None


def _column(values: list[Any]) -> pl.Series:
    """One typed column: numbers as Float64, flags as Boolean, lists of tags, else text."""
    import polars as pl

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, list) for v in present):
        return pl.Series(values, dtype=pl.List(pl.String))
    if present and all(isinstance(v, bool) for v in present):
        return pl.Series(values, dtype=pl.Boolean)
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pl.Series([None if v is None else float(v) for v in values], dtype=pl.Float64)
    if present and all(isinstance(v, int) for v in present):
        return pl.Series(values, dtype=pl.Int64)
    return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)


def build_frame(rows: Iterable[Row]) -> pl.DataFrame:
    """The typed runs frame of these rows, newest first."""
    import polars as pl

    cells = [row_cells(r) for r in rows]
    names: dict[str, None] = {}
    for c in cells:
        names.update(dict.fromkeys(c))
    data = {}
    for name in names:
        values = [c.get(name) for c in cells]
        if name.startswith(("config.", "summary.")):
            data.update(typed_columns(name, values))  # numbers mixed with text: two columns
        else:
            data[name] = _column(values).alias(name)
    frame = (
        pl.DataFrame(data)
        if cells
        else pl.DataFrame(
            schema={
                "id": pl.String,
                "name": pl.String,
                "status": pl.String,
                "started_at": pl.Int64,
                "tags": pl.List(pl.String),
            }
        )
    )
    for plain in ("started_at", "ended_at", "created"):
        if plain in frame.columns and frame[plain].dtype != pl.Int64:
            frame = frame.with_columns(pl.col(plain).cast(pl.Int64, strict=False))
    return frame.sort(list(_ORDER), descending=True, nulls_last=True)


class RunTable:
    """Rows of every run, the frame over them, and the name/id lookups refs resolve with."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, Row] = {}
        self._frame: pl.DataFrame | None = None

    def load(self, rows: Iterable[Row]) -> None:
        """Replace everything (the first load, or after an index rebuild)."""
        fresh = {r["id"]: r for r in rows}
        frame = build_frame(fresh.values())
        with self._lock:
            self._rows, self._frame = fresh, frame

    def apply(self, changed: list[Row], removed: Iterable[str]) -> None:
        """Replace the rows of runs that changed and drop removed ones."""
        import polars as pl

        gone = set(removed) | {r["id"] for r in changed}
        if not gone:
            return
        with self._lock:
            rows = dict(self._rows)
            frame = self._frame
        for run_id in gone:
            rows.pop(run_id, None)
        rows.update((r["id"], r) for r in changed)
        if frame is None or len(gone) > len(rows) // 2:
            frame = build_frame(rows.values())
        else:
            kept = frame.filter(pl.col("id").is_in(list(gone)).not_())
            if changed:
                kept = pl.concat([kept, build_frame(changed)], how="diagonal_relaxed")
            frame = kept.sort(list(_ORDER), descending=True, nulls_last=True)
        with self._lock:
            self._rows, self._frame = rows, frame

    def row(self, run_id: str) -> Row | None:
        with self._lock:
            return self._rows.get(run_id)

    def rows(self) -> list[Row]:
        with self._lock:
            return list(self._rows.values())

    def projects(self) -> dict[str, int]:
        """Project → number of runs, most runs first."""
        counts: dict[str, int] = {}
        with self._lock:
            rows = list(self._rows.values())
        for row in rows:
            name = row.get("project") or ""
            counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def running(self) -> list[str]:
        """Ids of runs shown as running: their status can change without an event."""
        with self._lock:
            return [i for i, r in self._rows.items() if r["status"] == "running"]

    def resolve(self, ref: str) -> str:
        """The run id an id, unique prefix or name refers to (RunNotFound / AmbiguousRun)."""
        with self._lock:
            rows = self._rows
        if ref in rows:
            return ref
        names: dict[str, list[str]] = {}
        for run_id, row in rows.items():
            if row["name"]:
                names.setdefault(row["name"], []).append(run_id)
        if not rows:
            raise RunNotFound(f"no run matches '{ref}': there are no runs yet")
        return resolve(ref, rows.keys(), names)

    def page(
        self,
        where: str = "",
        sort: str = "",
        limit: int = DEFAULT_LIMIT,
        cursor: str = "",
        project: str = "",
    ) -> Page:
        """Runs of ``project`` (all when empty) matching ``where``, ordered by ``sort``."""
        import polars as pl

        with self._lock:
            rows, frame = self._rows, self._frame
        if frame is None:
            return Page([], 0, None)
        schema = dict(frame.schema)
        lazy = frame.lazy()
        if project:
            if "project" not in schema:
                return Page([], 0, None)
            lazy = lazy.filter(pl.col("project") == project)
        expr = compile_filter(where, schema)
        if expr is not None:
            lazy = lazy.filter(expr)
        if sort:
            column = sort.removeprefix("-")
            if column in schema and not isinstance(schema[column], pl.List):
                key: pl.Expr | None = pl.col(column)  # a column of the API's rows
                descending = sort.startswith("-")
            else:
                key, descending = sort_key(sort, schema)  # a field, as in `runar ls --sort`
            if key is not None:
                if column in schema and schema[column].is_float():
                    key = key.fill_nan(None)  # NaN last either way, like a missing value
                lazy = lazy.sort(
                    [key, *_ORDER],
                    descending=[descending, True, True],
                    nulls_last=True,
                    maintain_order=True,
                )
        ids = lazy.select("id").collect()["id"]
        offset = _offset(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        chosen = ids.slice(offset, limit).to_list()
        more = offset + limit < len(ids)
        return Page([rows[i] for i in chosen], len(ids), str(offset + limit) if more else None)


def _offset(cursor: str) -> int:
    if not cursor:
        return 0
    offset = whole_number(cursor)
    if offset is None:
        raise InvalidQuery(f"cursor '{cursor}' is not one this server gave out")
    return offset
