"""The Polars-free evaluator means what the Polars compilation means: same runs, same errors."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar.errors import InvalidQuery
from runar.views.query_columns import Column, typed_columns
from runar.views.query_eval import select_plain
from runar.views.query_frame import frame_of, select_ids

S = 1_000_000_000
NOW = int(datetime(2026, 11, 10, 12, 0).timestamp()) * S
DAY = 86400 * S

WORDS = ["adam", "SGD", "bert-base", "Baseline", "team:nlp", "a b", "x7", "Σίσυφος", "", "a\nb"]
FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, 1e-4, 1e-3, 0.5, 0.9, 0.95, 2.0, math.nan, math.inf, -math.inf]),
    st.floats(allow_nan=True, width=64),
)
VALUES = st.one_of(
    st.none(),
    FLOATS,
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.sampled_from(WORDS),
    st.just([1, 2]),
)
CONFIG_KEYS = ["lr", "model.lr", "opt", "use_amp", "layers", "a/lr"]
METRIC_KEYS = ["acc", "train/loss", "val loss", "lr"]


@st.composite
def runs(draw: st.DrawFn) -> dict[str, Column]:
    """Plain query columns of a few runs: nulls, NaN, mixed kinds, keys some runs lack."""
    n = draw(st.integers(min_value=0, max_value=7))

    def some(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(values, min_size=n, max_size=n))

    text = st.one_of(st.none(), st.sampled_from(WORDS))
    columns: dict[str, Column] = {
        "id": Column(
            "str", [f"{i:x}{draw(st.sampled_from(['ab', 'AB9', 'c']))}" for i in range(n)]
        ),
        "name": Column("str", some(text)),
        "status": Column("str", some(st.sampled_from(["running", "completed", "failed"]))),
        "tags": Column("tags", some(st.lists(st.sampled_from(WORDS[:6]), max_size=3))),
        "created": Column("int", some(st.one_of(st.none(), st.integers(NOW - 9 * DAY, NOW + DAY)))),
        "duration": Column("float", some(st.one_of(st.none(), st.floats(0, 1e6)))),
        "project": Column("str", some(text)),
        "sweep": Column("str", some(text)),
        "git.branch": Column("str", some(text)),
        "git.commit": Column("str", some(st.one_of(st.none(), st.sampled_from(["abc1", "ABD2"])))),
    }
    for key in draw(st.lists(st.sampled_from(CONFIG_KEYS), unique=True)):
        columns.update(typed_columns(f"config.{key}", some(VALUES)))
    metric = st.one_of(st.none(), FLOATS)
    for key in draw(st.lists(st.sampled_from(METRIC_KEYS), unique=True)):
        columns.update(typed_columns(f"metrics.{key}", some(metric)))
        columns.update(typed_columns(f"min(metrics.{key})", some(metric)))
        columns.update(typed_columns(f"max(metrics.{key})", some(metric)))
    if draw(st.booleans()):
        columns.update(typed_columns("summary.score", some(VALUES)))
    return columns


FIELDS = [
    "config.lr", "config.model.lr", "config.opt", "config.use_amp", "config.layers",
    "config.missing", "metrics.acc", "metrics.train/loss", 'metrics."val loss"',
    "min(metrics.acc)", "max(metrics.train/loss)", "best(metrics.train/loss)", "best(acc)",
    "summary.score", "status", "name", "id", "tag", "project", "sweep", "git.branch",
    "git.commit", "created", "duration", "lr", "acc", "loss", "opt", "layers",
]  # fmt: skip
SHORT = ["status", "tag", "name", "id", "project", "sweep", "git.branch", "git.commit"]
LITERALS = [
    "1e-3", "0.5", "0.9", "2", "-2", "0", "nan", "inf", "-inf", "true", "false", "adam",
    "sgd", "'adam'", "base*", "*a*", "a?c", "'team:nlp'", "team:nlp", "'a b'", "x7", "ab",
    "abc", "2d ago", "3h ago", "90s", "1h30m", "2026-11-09", "2026-11-10T10:30",
    "'2026-11-09 14:30'", "today", "yesterday", "now", "completed", "RUNNING", "'Σ*'",
    "bogus-time", "1w ago",
]  # fmt: skip


@st.composite
def conditions(draw: st.DrawFn) -> str:
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(st.sampled_from(["bert", "base", "ab", "fail", "x7", "nlp"]))
    if shape == 1:
        return f"{draw(st.sampled_from(SHORT))}:{draw(st.sampled_from(LITERALS))}"
    if shape == 2:
        items = draw(st.lists(st.sampled_from(LITERALS), min_size=1, max_size=3))
        return f"{draw(st.sampled_from(FIELDS))} in [{', '.join(items)}]"
    op = draw(st.sampled_from(["<", "<=", ">", ">=", "=", "==", "!=", "~"]))
    return f"{draw(st.sampled_from(FIELDS))} {op} {draw(st.sampled_from(LITERALS))}"


queries = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" and ", " or ", " ", " AND "]), inner).map("".join),
        inner.map(lambda q: f"not {q}"),
        inner.map(lambda q: f"({q})"),
    ),
    max_leaves=5,
)
sorts = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["", "-"]), st.sampled_from([*FIELDS, "tags", "nothing"])).map(
        "".join
    ),
)


def _answer(select: Any, *args: Any) -> list[str] | str:
    try:
        return select(*args)
    except InvalidQuery as exc:
        return f"error: {exc}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=runs(), where=queries, sort=sorts)
def test_the_same_runs_or_the_same_error_as_polars(
    columns: dict[str, Column], where: str, sort: str | None
) -> None:
    frame = frame_of(columns)
    expected = _answer(select_ids, frame, where, sort, NOW)
    assert _answer(select_plain, columns, where, sort, NOW) == expected


def _columns() -> dict[str, Column]:
    return {
        "id": Column("str", ["a1", "b2", "c3"]),
        "tags": Column("tags", [[], ["x"], []]),
        **typed_columns("config.lr", [1e-4, math.nan, None]),
        **typed_columns("config.seed", [1, "auto", None]),
    }


def test_a_nan_value_or_a_missing_one_never_holds() -> None:
    assert select_plain(_columns(), "config.lr < 1", None) == ["a1"]
    assert select_plain(_columns(), "config.lr != 1", None) == ["a1"]
    assert select_plain(_columns(), "not config.lr < 1", None) == ["b2", "c3"]


def test_a_nan_literal_sorts_above_every_number_as_in_polars() -> None:
    assert select_plain(_columns(), "config.lr < nan", None) == ["a1"]
    assert select_plain(_columns(), "config.lr > nan", None) == []


def test_numbers_and_text_of_one_key_both_match() -> None:
    assert select_plain(_columns(), "config.seed = auto", None) == ["b2"]
    assert select_plain(_columns(), "config.seed < 2", None) == ["a1"]


def test_nan_and_missing_sort_last_either_way() -> None:
    assert select_plain(_columns(), "", "config.lr") == ["a1", "b2", "c3"]
    assert select_plain(_columns(), "", "-config.lr") == ["a1", "b2", "c3"]


def test_the_evaluator_loads_no_polars() -> None:
    code = (
        "import sys; from runar.views.query_eval import select_plain; "
        "from runar.views.query_columns import typed_columns; "
        "select_plain({'id': typed_columns('id', ['a'])['id']}, 'lr<1 or bert', '-id'); "
        "assert 'polars' not in sys.modules, 'polars loaded'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
