"""report/table.py: groups × metrics, mean ± std over seeds, best per column, rounding."""

from __future__ import annotations

import polars as pl
import pytest

import runar.frames as frames
from runar.errors import UsageError
from runar.report.table import build_table, format_number, select_runs
from runar.store import Store

from .helpers import write_run


def test_means_and_stds_equal_a_polars_computation(seeded: Store) -> None:
    table = build_table(select_runs(seeded, [], None), ["acc", "val/loss"], ["config.model"])
    expected = (
        frames.runs(store=seeded)
        .group_by("config.model")
        .agg(
            pl.col("acc").mean().alias("acc_mean"),
            pl.col("acc").std().alias("acc_std"),
            pl.col("val/loss").mean().alias("loss_mean"),
            pl.col("val/loss").std().alias("loss_std"),
            pl.col("val/loss").count().alias("loss_n"),
            pl.len().alias("runs"),
        )
    )
    by_model = {r["config.model"]: r for r in expected.iter_rows(named=True)}
    assert [r.label for r in table.rows] == ["mlp 100%", "resnet_18", "vit & co"]
    for row in table.rows:
        want = by_model[row.label]
        acc, loss = row.cells
        assert row.runs == want["runs"] == 3
        assert acc.mean == pytest.approx(want["acc_mean"], rel=1e-12)
        assert acc.std == pytest.approx(want["acc_std"], rel=1e-12)
        assert loss.mean == pytest.approx(want["loss_mean"], rel=1e-12)
        assert loss.std == pytest.approx(want["loss_std"], rel=1e-12)
        assert loss.n == want["loss_n"]
    assert table.rows[0].cells[1].n == 2  # mlp's third seed never logged val/loss


def test_best_is_the_highest_accuracy_and_the_lowest_loss(seeded: Store) -> None:
    table = build_table(select_runs(seeded, [], None), ["acc", "val/loss"], ["model"])
    assert table.lower_better == [False, True]
    best = {m: [r.label for r in table.rows if r.cells[i].best] for i, m in enumerate(["acc", "l"])}
    assert best == {"acc": ["vit & co"], "l": ["vit & co"]}


def test_where_and_refs_narrow_the_runs(seeded: Store) -> None:
    runs = select_runs(seeded, [], "seed<2")
    assert len(runs) == 6
    both = select_runs(seeded, ["resnet_18-s0", "resnet_18-s2"], "seed<2")
    assert [s.display_name for s in both] == ["resnet_18-s0"]


def test_numeric_groups_sort_by_value_and_best_uses_the_best_value(store: Store) -> None:
    for lr in (0.1, 0.01, 1.0):
        write_run(store, f"lr{lr}", {"lr": lr}, {"loss": [0.2 * lr + 0.1, 3.0]})
    table = build_table(select_runs(store, [], None), ["loss"], ["lr"], value="best")
    assert [r.label for r in table.rows] == ["0.01", "0.1", "1"]
    assert [r.cells[0].mean for r in table.rows] == pytest.approx([0.102, 0.12, 0.3])
    assert [r.cells[0].std for r in table.rows] == [None, None, None]  # n = 1: no spread


def test_metrics_may_be_spelled_as_in_queries(seeded: Store) -> None:
    runs = select_runs(seeded, [], None)
    spelled = build_table(runs, ["metrics.acc"], ["model"])
    assert spelled.metrics == ["acc"]
    assert spelled.rows == build_table(runs, ["acc"], ["model"]).rows


def test_without_group_by_each_run_is_a_row(seeded: Store) -> None:
    table = build_table(select_runs(seeded, [], "model=resnet_18"), ["acc"])
    assert table.group_title == "run"
    assert sorted(r.label for r in table.rows) == [f"resnet_18-s{i}" for i in range(3)]


@pytest.mark.parametrize(
    ("metrics", "group_by", "message"),
    [
        (["nope"], ["model"], "no selected run has a metric 'nope'"),
        (["acc"], ["config.optimizer"], "no selected run has 'config.optimizer' in its config"),
        ([], ["model"], "name the metrics"),
        (
            ["acc"],
            ["config.opt"],
            r"'config.opt' holds several keys \(config.opt.lr, config.opt.name\)",
        ),
    ],
)
def test_keys_no_run_has_are_one_clear_error(seeded, metrics, group_by, message) -> None:
    write_run(seeded, "nested", {"opt": {"name": "adam", "lr": 0.1}}, {"acc": [0.5]})
    with pytest.raises(UsageError, match=message):
        build_table(select_runs(seeded, [], None), metrics, group_by)


@pytest.mark.parametrize(
    ("mean", "std", "shown"),
    [
        (0.91234, 0.00412, ("0.912", "0.004", None)),
        (0.91234, 0.0152, ("0.912", "0.015", None)),  # a spread starting with 1 keeps 2 digits
        (12.345, 1.7, ("12.3", "1.7", None)),
        (1234.5, 56.0, ("1234", "56", None)),
        (0.5, None, ("0.500", None, None)),
        (3.0, 0.0, ("3.00", "0.00", None)),
        (0.000123, 0.0000052, ("1.23", "0.05", -4)),
        (2.5e7, 1.2e5, ("2.500", "0.012", 7)),
        (-0.00001, 0.5, ("0.0", "0.5", None)),  # no "-0.0"; the spread sets the scale
        (-0.0004, 0.04, ("0.00", "0.04", None)),
    ],
)
def test_mean_and_std_share_their_decimals(mean, std, shown) -> None:
    number = format_number(mean, std)
    assert (number.mean, number.std, number.exponent) == shown
