"""The filter language: tokens, terms, and what the compiled expression keeps."""

from __future__ import annotations

import math

import polars as pl
import pytest

from runar.errors import InvalidQuery
from runar.views.query import Compare, FieldIs, Word, compile_filter, parse, tokenize

FRAME = pl.DataFrame(
    {
        "id": ["aaaa1111", "bbbb2222", "cccc3333"],
        "name": ["bert-base", "gpt-small", None],
        "status": ["completed", "failed", "running"],
        "tags": [["baseline"], ["sweep", "baseline"], []],
        "duration_s": [10.0, 200.0, None],
        "config.lr": [1e-4, 1e-2, None],
        "config.model.lr": [None, None, 5e-4],
        "config.optimizer": ["adam", "SGD", None],
        "config.use_amp": [True, False, None],
        "metrics.acc": [0.9, math.nan, 0.5],
        "metrics.train/loss": [0.1, 0.2, 0.3],
    }
)


def keep(text: str) -> list[str]:
    expr = compile_filter(text, FRAME.schema)
    kept = FRAME if expr is None else FRAME.filter(expr)
    return kept["id"].to_list()


def test_tokens_and_terms():
    assert [t.kind for t in tokenize('lr<1e-3 tag:x "two words"')] == [
        "word", "op", "word", "word", "colon", "word", "string",
    ]  # fmt: skip
    assert parse('bert lr<=1e-3 status:completed name:"my run"').terms == (
        Word("bert"),
        Compare("lr", "<=", 1e-3),
        FieldIs("status", "completed"),
        FieldIs("name", "my run"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["aaaa1111", "bbbb2222", "cccc3333"]),
        ("bert", ["aaaa1111"]),
        ("BASELINE", ["aaaa1111", "bbbb2222"]),
        ("lr<1e-3", ["aaaa1111", "cccc3333"]),  # config lr, or any key ending in .lr
        ("lr < 1e-3", ["aaaa1111", "cccc3333"]),
        ("config.lr<1e-3", ["aaaa1111"]),  # a prefixed key means that column only
        ("acc>0.8", ["aaaa1111"]),
        ("acc<2", ["aaaa1111", "cccc3333"]),  # NaN compares false
        ("loss<0.15", ["aaaa1111"]),  # leaf after '/'
        ("optimizer=sgd", ["bbbb2222"]),  # text equality ignores case
        ("optimizer!=adam", ["bbbb2222"]),
        ("use_amp=true", ["aaaa1111"]),
        ("duration_s>60", ["bbbb2222"]),
        ("status:failed", ["bbbb2222"]),
        ("tag:sweep", ["bbbb2222"]),
        ("name:GPT", ["bbbb2222"]),
        ("id:CCC", ["cccc3333"]),
        ("tag:baseline lr>1e-3", ["bbbb2222"]),
        ("missing>0", []),
    ],
)
def test_filter_keeps(text, expected):
    assert keep(text) == expected


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("read_csv('/etc/passwd')", "('/etc/passwd')"),
        ("a; DROP TABLE runs", ";"),
        ("lr<", "lr<"),
        ("<3", "<"),
        ("1=1", "1"),
        ("color:red", "color:"),
        ("lr<abc", "abc"),
        ("lr<$(id)", "$(id)"),
    ],
)
def test_bad_tokens_are_named(text, culprit):
    with pytest.raises(InvalidQuery) as info:
        parse(text)
    assert culprit in str(info.value)


def test_an_expression_never_a_sql_string():
    assert isinstance(compile_filter("lr<1", FRAME.schema), pl.Expr)
