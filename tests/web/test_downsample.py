"""M4 keeps, for every bucket, its first, last, minimum and maximum point."""

from __future__ import annotations

import math
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runar.web import downsample
from runar.web.downsample import POINTS_PER_BUCKET, m4, m4_rows
from runar.web.encoding import nonfinite_name


def _buckets(xs: list[float], n: int) -> list[int]:
    lo, hi = min(xs), max(xs)
    span = hi - lo
    return [0 if span == 0 else min(int((x - lo) / span * n), n - 1) for x in xs]


@settings(max_examples=60, deadline=None)
@given(
    ys=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=400),
    points=st.integers(min_value=4, max_value=80),
)
def test_m4_keeps_first_last_min_max_of_every_bucket(ys, points):
    xs = list(range(len(ys)))
    frame = pl.DataFrame({"x": xs, "y": ys})
    kept = m4(frame, points)
    kept_x = set(kept["x"].to_list())
    if len(ys) <= points:
        assert kept_x == set(xs)
        return
    n = max(1, points // POINTS_PER_BUCKET)
    groups: dict[int, list[int]] = {}
    for x, b in zip(xs, _buckets([float(x) for x in xs], n), strict=True):
        groups.setdefault(b, []).append(x)
    for members in groups.values():
        values = [ys[i] for i in members]
        assert members[0] in kept_x and members[-1] in kept_x
        assert min(values) in [ys[i] for i in members if i in kept_x]
        assert max(values) in [ys[i] for i in members if i in kept_x]
    assert len(kept) <= POINTS_PER_BUCKET * n
    assert kept["x"].to_list() == sorted(kept["x"].to_list())  # still in x order


def test_nonfinite_points_are_marked_once_per_bucket_and_kind():
    ys = [0.0] * 1000
    ys[10] = ys[11] = math.nan
    ys[500] = math.inf
    ys[900] = -math.inf
    kept = m4(pl.DataFrame({"x": list(range(1000)), "y": ys}), 40)
    odd = kept.filter(pl.col("y").is_finite().not_())
    assert odd["x"].to_list() == [10, 500, 900]


def test_a_short_series_is_untouched():
    frame = pl.DataFrame({"x": [1, 2, 3], "y": [3.0, 1.0, 2.0]})
    assert m4(frame, 2000).equals(frame)


@settings(max_examples=80, deadline=None)
@given(
    xs=st.lists(st.integers(0, 60), min_size=30, max_size=300),
    ys=st.lists(
        st.one_of(
            st.sampled_from([-2.0, 0.0, 1.5]),  # ties: the first of equal extremes is kept
            st.floats(-2.0, 1.5),
            st.sampled_from([math.nan, math.inf, -math.inf]),
        ),
        min_size=300,
        max_size=300,
    ),
    points=st.integers(min_value=4, max_value=24),
)
@pytest.mark.parametrize("loop_from", [1, 10**9])  # the extremes by a loop, by whole arrays
def test_m4_keeps_exactly_the_bucket_extremes_and_the_first_nonfinite_of_each_kind(
    loop_from, xs, ys, points
):
    xs = sorted(xs)  # ties: several points at one x, as with several writers
    ys = ys[: len(xs)]
    with patch.object(downsample, "LOOP_FROM", loop_from):
        kept = set(m4_rows(np.array(xs), np.array(ys), points).tolist())
    if len(xs) <= points:
        assert kept == set(range(len(xs)))
        return
    n = max(1, points // POINTS_PER_BUCKET)
    lo, span = xs[0], xs[-1] - xs[0]
    # the served bucket arithmetic: a product with the span's reciprocal
    bucket = [0 if span == 0 else min(int((x - lo) * (1.0 / span) * n), n - 1) for x in xs]
    wanted: set[int] = set()
    for b in set(bucket):
        rows = [i for i in range(len(xs)) if bucket[i] == b]
        real = [i for i in rows if math.isfinite(ys[i])]
        if real:
            wanted |= {real[0], real[-1]}
            wanted.add(min(real, key=lambda i: (ys[i], i)))
            wanted.add(min(real, key=lambda i: (-ys[i], i)))
        for kind in ("nan", "inf", "-inf"):
            odd = [i for i in rows if not math.isfinite(ys[i]) and nonfinite_name(ys[i]) == kind]
            wanted |= set(odd[:1])
    assert kept == wanted
