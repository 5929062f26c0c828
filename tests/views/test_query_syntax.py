"""The query syntax: the tree it builds, errors that point at the token, hostile input."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runar.errors import InvalidQuery
from runar.views.query import compile_filter
from runar.views.query_syntax import (
    And,
    Compare,
    Field,
    In,
    Not,
    Or,
    Value,
    Word,
    parse,
    parse_sort,
    tokenize,
)


def test_tokens_carry_their_column() -> None:
    tokens = tokenize('lr<1e-3 tag:x "two words" metrics."val loss"')
    assert [(t.kind, t.pos) for t in tokens] == [
        ("word", 0), ("op", 2), ("word", 3), ("word", 8), ("colon", 11), ("word", 12),
        ("string", 14), ("word", 26),
    ]  # fmt: skip
    assert tokens[-1].value == "metrics.val loss"


def test_the_tree_of_the_short_form() -> None:
    assert parse('bert lr<=1e-3 status:completed name:"my run"') == And(
        (
            Word("bert"),
            Compare(Field("leaf", "lr"), "<=", Value("1e-3")),
            Compare(Field("status"), ":", Value("completed")),
            Compare(Field("name"), ":", Value("my run", quoted=True)),
        )
    )


def test_precedence_in_the_tree() -> None:
    a, b, c = Word("a"), Word("b"), Word("c")
    assert parse("a or b and c") == Or((a, And((b, c))))
    assert parse("a or b c") == Or((a, And((b, c))))
    assert parse("(a or b) c") == And((Or((a, b)), c))
    assert parse("not a and b") == And((Not(a), b))
    assert parse("not (a and b)") == Not(And((a, b)))
    assert parse("NOT a OR b") == Or((Not(a), b))
    assert parse("") is None
    assert parse("   ") is None


def test_a_bare_word_before_a_group_is_a_condition_not_a_call() -> None:
    group = Or((Compare(Field("status"), ":", Value("failed")), Word("b")))
    assert parse("bert (status:failed or b)") == And((Word("bert"), group))
    assert parse("min (loss) < 1") == parse("min(loss) < 1")  # a known function, spaced
    with pytest.raises(InvalidQuery, match="unknown function 'bert\\('"):
        parse("bert(x)")


def test_fields_functions_and_lists() -> None:
    assert parse("best(metrics.val/loss) < 0.3") == Compare(
        Field("metrics", "val/loss", agg="best"), "<", Value("0.3")
    )
    assert parse("min(loss) < 1") == Compare(Field("metrics", "loss", agg="min"), "<", Value("1"))
    assert parse("created > 2d ago") == Compare(Field("created"), ">", Value("2d", ago=True))
    assert parse("status in [failed, 'crashed']") == In(
        Field("status"), (Value("failed"), Value("crashed", quoted=True))
    )
    assert parse("tags:x") == Compare(Field("tag"), ":", Value("x"))
    assert parse("tag:team:nlp") == Compare(Field("tag"), ":", Value("team:nlp"))
    with pytest.raises(InvalidQuery, match="column 10: expected a field before ':'"):
        parse("tag:team :nlp")  # with a space, the colon is not part of the value
    assert parse("config.model.lr = 3") == Compare(Field("config", "model.lr"), "=", Value("3"))
    assert parse_sort("-best(metrics.acc)") == (Field("metrics", "acc", agg="best"), True)
    assert parse_sort("config.lr") == (Field("config", "lr"), False)


@pytest.mark.parametrize(("text", "column"), [("-a b", 4), ("  -a b", 6), (" a  b ", 5)])
def test_a_second_sort_field_is_pointed_at_where_it_stands(text: str, column: int) -> None:
    with pytest.raises(InvalidQuery, match=f"column {column}: expected one field") as info:
        parse_sort(text)
    assert info.value.caret == f"  {text}\n  {' ' * (column - 1)}^"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("lr < and acc>1", 6, "expected a value after '<'"),
        ("acc>", 5, "expected a value after '>'"),
        ("<3", 1, "expected a field before '<'"),
        ("a and", 6, "expected a condition at the end"),
        ("a and or b", 7, "expected a condition before 'or'"),
        ("(a or b", 8, "expected ')' to close the '(' at column 1"),
        ("a or b)", 7, "unexpected ')'"),
        ("()", 2, "expected a condition inside '()'"),
        ("color:red", 1, "'color:' is not a short form"),
        ("params.lr < 1", 1, "unknown field 'params.lr' (MLflow's params.* is config.*)"),
        ("metric.acc > 1", 1, "unknown field 'metric.acc'; use config.KEY, metrics.KEY"),
        ("git.author = me", 1, "unknown field 'git.author'; use git.branch or git.commit"),
        ("config. = 1", 1, "'config.' needs a key after the dot"),
        ("avg(metrics.acc) > 1", 1, "unknown function 'avg('"),
        ("min(config.lr) > 1", 5, "min() takes a metric"),
        ("min(metrics.acc > 1", 17, "expected ')' after min(metrics.acc"),
        ("status in [a,", 14, "expected a value after ','"),
        ("status in [a b]", 14, "expected ',' or ']' in the list"),
        ('name:"bert', 6, 'the quote " is never closed'),
        ("lr<$(id)", 4, "cannot read '$(id)'"),
        ("a; DROP TABLE runs", 2, "cannot read ';'"),
    ],
)
def test_syntax_errors_point_at_the_token(text: str, column: int, message: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        parse(text)
    error = info.value
    assert str(error).startswith(f"invalid query at column {column}: ")
    assert message in str(error)
    assert str(error).endswith(f' in "{text}"')
    assert error.caret == f"  {text}\n  {' ' * (column - 1)}^"  # type: ignore[attr-defined]


TYPED = pl.DataFrame(
    {
        "id": ["a1"],
        "name": ["n"],
        "status": ["completed"],
        "tags": [["t"]],
        "created": [0],
        "duration": [1.0],
        "config.lr": [0.1],
        "config.opt": ["adam"],
        "config.amp": [True],
        "config.sizes": [[1, 2]],
    }
)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("config.lr < big", 13, "config.lr holds numbers; 'big' is not a number"),
        ("config.lr = '0.1'", 13, "config.lr holds numbers"),
        ("config.lr ~ 1", 13, "'1' is not text for '~'"),
        ("config.opt > 3", 14, "config.opt holds text; '3' is a number"),
        ("opt > 3", 7, "opt holds text; '3' is a number"),  # the short form too
        ("config.amp = 1", 14, "config.amp is true or false"),
        ("config.sizes = 1", 1, "config.sizes holds lists"),
        ("duration > long", 12, "'long' is not a duration"),
        ("created > yesterdayish", 11, "'yesterdayish' is not a time"),
        ("created > 2x ago", 11, "'2x' is not a duration"),
        ("created ~ 2026", 1, "'~' matches text"),
        ("tag < x", 7, "tags are compared with"),
    ],
)
def test_type_errors_point_at_the_value(text: str, column: int, message: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        compile_filter(text, TYPED.schema)
    assert f"at column {column}: " in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "read_csv('/etc/passwd')",
        "pl.read_csv('x')",
        "__import__('os').system('id')",
        "1; DROP TABLE runs; --",
        "lr < 1 UNION SELECT * FROM runs",
        "name = 'x' OR 1=1",
        "${HOME}",
        "`id`",
        "lr<1e-3 && acc>0.9",
        "eval(1)",
    ],
)
def test_injection_is_an_error_or_a_literal(text: str) -> None:
    """Hostile text never runs: it is refused, or searched for as the words it is."""
    try:
        expr = compile_filter(text, TYPED.schema)
    except InvalidQuery as exc:
        assert "invalid query at column" in str(exc)
        return
    assert isinstance(expr, pl.Expr)
    assert TYPED.filter(expr).height == 0


def test_quoted_sql_is_only_a_value() -> None:
    frame = TYPED.with_columns(pl.lit("x'; DROP TABLE runs; --").alias("name"))
    expr = compile_filter('name = "x\'; DROP TABLE runs; --"', frame.schema)
    assert frame.filter(expr).height == 1


# -- the short form is sugar: the same runs as its long spelling --------------------------

WORDS = st.sampled_from(["bert", "gpt", "base", "sweep", "done", "a1", "xyz"])
NUMBERS = st.sampled_from([1e-4, 1e-3, 0.01, 0.1, 0.5, 0.9, 1.0])
OPS = st.sampled_from(["<", "<=", ">", ">=", "=", "!="])
STATUSES = ["completed", "failed", "running", "crashed"]
TAGS = ["baseline", "sweep", "best"]


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(min_value=0, max_value=8))
    maybe = st.one_of(st.none(), NUMBERS, st.just(math.nan))

    def column(values: st.SearchStrategy[object]) -> list[object]:
        return draw(st.lists(values, min_size=n, max_size=n))

    return pl.DataFrame(
        {
            "id": [f"{i:02d}a1b2" for i in range(n)],
            "name": column(st.sampled_from(["bert-base", "gpt", "done-xyz", None])),
            "status": column(st.sampled_from(STATUSES)),
            "tags": column(st.lists(st.sampled_from(TAGS), unique=True, max_size=2)),
            "config.lr": column(maybe),
            "metrics.acc": column(maybe),
        },
        schema_overrides={
            "id": pl.String,
            "name": pl.String,
            "status": pl.String,
            "config.lr": pl.Float64,
            "metrics.acc": pl.Float64,
            "tags": pl.List(pl.String),
        },
    )


@st.composite
def terms(draw: st.DrawFn) -> tuple[str, str]:
    """One condition in the short form and in the long form."""
    kind = draw(st.sampled_from(["lr", "acc", "status", "tag", "name", "word"]))
    if kind in ("lr", "acc"):
        op, number = draw(OPS), draw(NUMBERS)
        long_key = "config.lr" if kind == "lr" else "metrics.acc"
        return f"{kind}{op}{number}", f"{long_key} {op} {number}"
    if kind == "status":
        status = draw(st.sampled_from(STATUSES))
        return f"status:{status}", f"status = {status}"
    if kind == "tag":
        tag = draw(st.sampled_from(TAGS))
        return f"tag:{tag}", f"tag = '{tag}'"
    word = draw(WORDS)
    if kind == "name":
        return f"name:{word}", f"name ~ {word}"
    return word, f"(name ~ {word} or id ~ {word} or status ~ {word} or tag ~ {word})"


def _ids(frame: pl.DataFrame, text: str) -> list[str]:
    expr = compile_filter(text, frame.schema)
    return (frame if expr is None else frame.filter(expr))["id"].to_list()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.lists(terms(), min_size=1, max_size=4), st.booleans())
def test_short_form_selects_what_the_long_form_selects(
    frame: pl.DataFrame, conditions: list[tuple[str, str]], negate_first: bool
) -> None:
    short = " ".join(s for s, _ in conditions)
    long = " and ".join(f"({lg})" for _, lg in conditions)
    if negate_first:
        short, long = (
            f"not {short.split(' ', 1)[0]} {' '.join(short.split(' ')[1:])}",
            (f"not ({conditions[0][1]})" + "".join(f" and ({lg})" for _, lg in conditions[1:])),
        )
    assert _ids(frame, short) == _ids(frame, long)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.lists(terms(), min_size=2, max_size=4))
def test_or_and_not_follow_boolean_algebra(
    frame: pl.DataFrame, conditions: list[tuple[str, str]]
) -> None:
    """De Morgan, and or as the union of the parts: nulls never leak through a negation."""
    parts = [lg for _, lg in conditions]
    union = set()
    for part in parts:
        union |= set(_ids(frame, part))
    either = " or ".join(f"({p})" for p in parts)
    assert set(_ids(frame, either)) == union
    neither = " and ".join(f"not ({p})" for p in parts)
    assert set(_ids(frame, neither)) == set(frame["id"].to_list()) - union
