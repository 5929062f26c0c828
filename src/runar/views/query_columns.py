"""The query columns as plain lists: one kind and one value per run, no Polars.

query_frame.py turns them into a Polars frame; query_eval.py answers a query over them
directly, so `runar ls --where` never imports Polars. Column names are the query
language's own (views/query.py): ``id``, ``name``, ``status``, ``tags``, ``created`` (ns),
``duration`` (s), ``project``, ``sweep``, ``git.branch``, ``git.commit``, ``config.K``,
``metrics.K``, ``min(metrics.K)``, ``max(metrics.K)``, ``summary.K``, and ``K as text``
for a key that mixes numbers and text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from runar.views.liveness import run_seconds
from runar.views.query_syntax import And, Compare, Field, In, Node, Not, Or, parse_sort, query_error
from runar.views.summary import lower_is_better

if TYPE_CHECKING:
    from runar.views.summary import RunSummary

Kind = Literal["null", "bool", "int", "float", "str", "tags"]
TEXT_SUFFIX: Final = " as text"  # the text twin of a column that mixes numbers and text
_INT64: Final = range(-(2**63), 2**63)
_PLAIN: Final = frozenset({bool, int, float, str, list, dict})


class Column(msgspec.Struct, frozen=True):
    """One column: what its values are (the Polars dtype it becomes) and one per run."""

    kind: Kind
    values: list[Any]


class Needs(msgspec.Struct, frozen=True):
    """Which column families a query reads, so a frame builds only those."""

    config: bool = False
    metrics: bool = False
    extrema: bool = False  # min(…), max(…), best(…)
    summary: bool = False
    git: bool = False

    def __or__(self, other: Needs) -> Needs:
        return Needs(*(a or b for a, b in zip(self._flags(), other._flags(), strict=True)))

    def covers(self, other: Needs) -> bool:
        """True when every family ``other`` needs is here too."""
        return all(a or not b for a, b in zip(self._flags(), other._flags(), strict=True))

    def _flags(self) -> tuple[bool, ...]:
        return (self.config, self.metrics, self.extrema, self.summary, self.git)


def _field_needs(fld: Field) -> Needs:
    match fld.kind:
        case "config":
            return Needs(config=True)
        case "metrics":
            return Needs(extrema=True) if fld.agg in ("min", "max", "best") else Needs(metrics=True)
        case "summary":
            return Needs(summary=True)
        case "leaf":
            return Needs(config=True, metrics=True)
        case "git.branch" | "git.commit":
            return Needs(git=True)
    return Needs()


def needs_of(node: Node | None, sort_field: Field | None = None) -> Needs:
    """The column families a query (and a sort field) refer to."""
    found = Needs() if sort_field is None else _field_needs(sort_field)
    stack = [] if node is None else [node]
    while stack:
        match stack.pop():
            case Compare(field=fld) | In(field=fld):
                found = found | _field_needs(fld)
            case Not(node=inner):
                stack.append(inner)
            case And(nodes=nodes) | Or(nodes=nodes):
                stack.extend(nodes)
    return found


def column_of(fld: Field) -> str:
    """The column of a config, metric or summary field; best() picks min or max."""
    if fld.kind != "metrics" or fld.agg == "last":
        return f"{fld.kind}.{fld.key}"
    agg = fld.agg
    if agg == "best":
        agg = "min" if lower_is_better(fld.key) else "max"
    return f"{agg}(metrics.{fld.key})"


def leaf_columns(names: Iterable[str], key: str) -> list[str]:
    """``lr``: every config or metric column whose key is or ends in ``lr`` (``.lr``, ``/lr``)."""
    return [
        name
        for name in names
        for prefix in ("config.", "metrics.")
        if name.startswith(prefix)
        and (
            (leaf := name[len(prefix) :]) == key
            or leaf.endswith("." + key)
            or leaf.endswith("/" + key)
        )
    ]


def sort_column(text: str, names: Container[str]) -> tuple[str | None, bool, Field]:
    """The column ``--sort TEXT`` orders by (None: no run has it), whether descending, and
    the field; a bare key is the metric of that name, else the config value."""
    fld, descending = parse_sort(text)
    if fld.kind == "tag":
        raise query_error(text, 0, f"cannot sort by '{fld.text}': it holds lists")
    if fld.kind == "leaf":
        candidates = [f"metrics.{fld.key}", f"config.{fld.key}"]
    elif fld.kind in ("config", "metrics", "summary"):
        candidates = [column_of(fld)]
    else:
        candidates = [fld.kind]
    column = next((c for c in candidates if c in names), None)
    if column is None and fld.kind == "leaf":
        raise query_error(
            text, 0, f"cannot sort by '{fld.text}': no run has a metric or config key of that name"
        )
    return column, descending, fld


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def typed_column(values: list[Any]) -> Column:
    """Whole numbers int (Int64), numbers float, flags bool, nothing null, else text."""
    kinds = _kinds(values)
    if not kinds:
        return Column("null", values)
    if kinds == {bool}:
        return Column("bool", values)
    if kinds == {int}:
        present = [v for v in values if v is not None]
        if min(present) in _INT64 and max(present) in _INT64:
            return Column("int", values)
    if kinds <= {int, float}:
        return Column("float", [None if v is None else float(v) for v in values])
    return Column(
        "str", [None if v is None else v if isinstance(v, str) else _text(v) for v in values]
    )


def _kinds(values: list[Any]) -> set[type]:
    """The types of the values present, a subclass counted as its base (bool as bool)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= _PLAIN:
        return kinds  # what decoded summaries hold: one pass in C
    return {
        bool if isinstance(v, bool) else int if isinstance(v, int) else
        float if isinstance(v, float) else str if isinstance(v, str) else type(v)
        for v in values if v is not None
    }  # fmt: skip


def typed_columns(name: str, values: list[Any]) -> dict[str, Column]:
    """A key's column; numbers mixed with text make two columns.

    ``lr`` is 1e-3 in one run and "auto" in another: ``NAME`` holds the numbers (the text
    null) so ``lr < 1e-2`` compares numbers, and ``NAME as text`` holds every value as
    text so ``lr = auto`` still finds the other run.
    """
    kinds = _kinds(values)
    if str in kinds and kinds & {int, float}:
        numbers = [float(v) if _is_number(v) else None for v in values]
        return {name: Column("float", numbers), name + TEXT_SUFFIX: typed_column(values)}
    return {name: typed_column(values)}


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        import json  # only for a list or dict in a config: ls --where rarely pays for it

        return json.dumps(value, default=repr)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return str(value)


def run_columns(
    runs: Sequence[tuple[RunSummary, str]],
    needs: Needs,
    now_ns: int | None = None,
    default_project: str | None = None,
) -> dict[str, Column]:
    """One value per (summary, effective status) in each column ``needs`` asks for.

    Args:
        runs: summaries and their effective status.
        needs: the column families to build (views/query.py's needs_of()).
        now_ns: the clock for the duration of running runs.
        default_project: the project of runs that recorded none (the store's).
    """
    now = time.time_ns() if now_ns is None else now_ns
    n = len(runs)
    data: dict[str, Column] = {
        "id": Column("str", [s.run_id for s, _ in runs]),
        "name": Column("str", [s.display_name or None for s, _ in runs]),
        "status": Column("str", [status for _, status in runs]),
        "tags": Column("tags", [s.tag_list() for s, _ in runs]),
        "created": Column("int", [s.created_ts or None for s, _ in runs]),
        "duration": Column("float", [_float(run_seconds(s, st, now)) for s, st in runs]),
        "project": Column("str", [getattr(s, "project", None) or default_project for s, _ in runs]),
        "sweep": Column("str", [getattr(s, "sweep", None) for s, _ in runs]),
    }
    if needs.git:
        gits = [s.git for s, _ in runs]
        data["git.branch"] = Column("str", [g.branch if g else None for g in gits])
        data["git.commit"] = Column("str", [g.commit if g else None for g in gits])
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
    return data


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
