"""The query language compiled to Polars: every operator, field kind, unit and precedence."""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl
import pytest

from runar.views.query import compile_filter, sort_key

S = 1_000_000_000
NOW = int(datetime(2026, 11, 10, 12, 0).timestamp()) * S
DAY = 86400 * S

FRAME = pl.DataFrame(
    {
        "id": ["aaaa1111", "bbbb2222", "cccc3333"],
        "name": ["bert-base", "gpt-small", None],
        "status": ["completed", "failed", "running"],
        "tags": [["baseline"], ["sweep", "Baseline"], ["team:nlp"]],
        "created": [NOW - 3 * DAY, NOW - DAY // 2, None],
        "duration": [10.0, 7200.0, None],
        "project": ["vision", "nlp", None],
        "sweep": [None, "lr-sweep", None],
        "git.branch": ["main", "feature/x", None],
        "git.commit": ["abc123ff", "DEF456aa", None],
        "config.lr": [1e-4, 1e-2, None],
        "config.model.lr": [None, None, 5e-4],
        "config.optimizer": ["adam", "SGD", None],
        "config.use_amp": [True, False, None],
        "config.layers": [2, 4, 8],
        "metrics.acc": [0.9, math.nan, 0.5],
        "metrics.train/loss": [0.1, 0.2, 0.3],
        "metrics.val loss": [1.0, 2.0, None],
        "min(metrics.train/loss)": [0.05, 0.2, 0.3],
        "max(metrics.train/loss)": [0.5, 0.9, 0.3],
        "min(metrics.acc)": [0.1, 0.2, 0.5],
        "max(metrics.acc)": [0.95, 0.3, 0.5],
        "summary.best_acc": [0.93, None, None],
    }
)
A, B, C = "aaaa1111", "bbbb2222", "cccc3333"


def keep(text: str) -> list[str]:
    expr = compile_filter(text, FRAME.schema, now_ns=NOW)
    kept = FRAME if expr is None else FRAME.filter(expr)
    return kept["id"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [A, B, C]),
        # bare words: a substring of name, id, tags or status
        ("bert", [A]),
        ("BASELINE", [A, B]),
        ('"gpt-sm"', [B]),
        # config, every operator
        ("config.lr < 1e-3", [A]),
        ("config.lr <= 1e-4", [A]),
        ("config.lr > 1e-3", [B]),
        ("config.lr >= 1e-2", [B]),
        ("config.lr = 0.0001", [A]),
        ("config.lr == 0.0001", [A]),
        ("config.lr != 0.0001", [B]),  # a run without the key is not "not equal"
        ("config.layers = 4", [B]),
        ("config.optimizer = sgd", [B]),  # text ignores case
        ("config.optimizer != adam", [B]),
        ("config.optimizer ~ ad", [A]),
        ("config.optimizer ~ 's?d'", [B]),
        ("config.use_amp = true", [A]),
        ("config.use_amp != true", [B]),
        ("config.optimizer in [adam, sgd]", [A, B]),
        ("config.layers in [2, 8]", [A, C]),
        # metrics: last value, and min/max/best over the run
        ("metrics.acc > 0.8", [A]),
        ("metrics.acc < 2", [A, C]),  # NaN compares false
        ('metrics."val loss" > 1.5', [B]),
        ("metrics.train/loss < 0.15", [A]),
        ("min(metrics.train/loss) < 0.1", [A]),
        ("max(metrics.train/loss) > 0.8", [B]),
        ("best(metrics.train/loss) <= 0.2", [A, B]),  # loss-like: best is the min
        ("best(metrics.acc) > 0.9", [A]),  # else the max
        ("best(acc) > 0.4", [A, C]),
        ("summary.best_acc > 0.9", [A]),
        # the short form
        ("lr<1e-3", [A, C]),  # config lr, or any key ending in .lr
        ("lr < 1e-3", [A, C]),
        ("acc>0.8", [A]),
        ("loss<0.15", [A]),  # the leaf after '/'
        ("optimizer=sgd", [B]),
        ("use_amp=true", [A]),
        ("status:failed", [B]),
        ("tag:sweep", [B]),
        ("tag:baseline", [A, B]),
        ("name:GPT", [B]),
        ("id:CCC", [C]),
        ("sweep:lr-sweep", [B]),
        ("project:vision", [A]),
        ("tag:baseline lr>1e-3", [B]),
        ("tag:team:nlp", [C]),  # an imported key:value tag
        ("tag = team:nlp or tag:sweep", [B, C]),
        ("missing>0", []),
        # plain fields
        ("status = completed", [A]),
        ("status != completed", [B, C]),
        ("status in [failed, running]", [B, C]),
        ("status ~ run", [C]),
        ("name = bert-base", [A]),
        ("name = bert", []),
        ("name ~ bert", [A]),
        ("name ~ '*small'", [B]),
        ("name = 'b?rt-*'", [A]),
        ("tag = sweep", [B]),
        ("tag != sweep", [A, C]),
        ("tag ~ 'base*'", [A, B]),
        ("tag in [sweep, nothing]", [B]),
        ("id = bbbb", [B]),
        ("project = NLP", [B]),
        ("project != nlp", [A]),
        ("git.branch = main", [A]),
        ("git.branch ~ feature", [B]),
        ("git.branch:'feature/x'", [B]),
        ("git.commit = def456", [B]),  # a prefix, any case
        ("git.commit:abc1", [A]),
        ("git.commit != abc", [B]),
        # times with units, counted back from a frozen now
        ("created > 1d ago", [B]),
        ("created < 1d ago", [A]),
        ("created > 4d ago", [A, B]),
        ("created >= 2w ago", [A, B]),
        ("created > 2026-11-08", [B]),
        ("created < 2026-11-08", [A]),
        ("created = 2026-11-07", [A]),
        ("created > today", []),  # B started at midnight exactly
        ("created >= today", [B]),
        ("created >= 2026-11-07", [A, B]),  # a date is its midnight
        ("created <= 2026-11-07", []),
        ("created >= yesterday", [B]),
        ("created > '2026-11-07 11:00'", [A, B]),
        ("created > 2026-11-07T13:00", [B]),  # a value's colons need no quotes
        ("duration > 1h", [B]),
        ("duration < 90s", [A]),
        ("duration > 1h30m", [B]),
        ("duration <= 2h", [A, B]),
        ("duration >= 10", [A, B]),
        ("duration_s > 60", [B]),
    ],
)
def test_filter_keeps(text: str, expected: list[str]) -> None:
    assert keep(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:failed or status:running and name:bert", [B]),  # and binds tighter
        ("(status:failed or status:running) and lr<1", [B, C]),
        ("not status:failed and not status:running", [A]),  # not binds tighter than and
        ("not (status:failed or status:running)", [A]),
        ("not not tag:sweep", [B]),
        ("bert or gpt", [A, B]),
        ("baseline sweep", [B]),  # side by side: and
        ("baseline and sweep", [B]),
        ("lr<1e-3 and (acc>0.8 or tag:sweep)", [A]),
        ("NOT tag:sweep AND acc > 0.4", [A, C]),
        ("not project:nlp", [A, C]),  # a missing value is not 'nlp'
    ],
)
def test_precedence(text: str, expected: list[str]) -> None:
    assert keep(text) == expected


def test_fields_missing_from_the_frame_are_null() -> None:
    bare = FRAME.select("id", "name", "status", "tags")
    query = "project:x or sweep:y or created > 1d ago or git.branch=main"
    expr = compile_filter(query, bare.schema)
    assert bare.filter(expr).height == 0
    expr = compile_filter("not project:x", bare.schema)
    assert bare.filter(expr).height == 3


def test_sort_keys() -> None:
    def order(text: str) -> list[str]:
        key, descending = sort_key(text, FRAME.schema)
        assert key is not None
        return FRAME.sort(key, descending=descending, nulls_last=True)["id"].to_list()

    assert order("-metrics.acc") == [A, C, B]  # NaN last, like a missing value
    assert order("config.lr") == [A, B, C]
    assert order("best(metrics.acc)") == [B, C, A]
    assert order("-best(metrics.train/loss)") == [C, B, A]
    assert order("-created") == [B, A, C]
    assert order("duration") == [A, B, C]
    assert order("acc") == [C, A, B]
    assert sort_key("config.nothing", FRAME.schema) == (None, False)


def test_an_expression_never_a_sql_string() -> None:
    assert isinstance(compile_filter("lr<1", FRAME.schema), pl.Expr)
