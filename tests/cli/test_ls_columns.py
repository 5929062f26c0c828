"""`runar ls --columns/--group-by/--csv`: the figures Polars computes from frames.runs()."""

from __future__ import annotations

import csv
import io
import json
import math
import time

import polars as pl
import pytest
from typer.testing import CliRunner

import runar.frames as frames
from runar.store import Store

from .helpers import S, invoke, invoke_main, write_run

MODELS = ("big", "small", "big", "tiny", "small", "big", "small")


@pytest.fixture
def sweep(store: Store) -> list[str]:
    """Seven runs over three models; one without an accuracy, one failed."""
    past = time.time_ns() - 3600 * S
    ids = []
    for i, model in enumerate(MODELS):
        values = {"loss": 1.0 / (i + 1)} | ({} if i == 3 else {"acc": 0.7 + 0.03 * i})
        ids.append(
            write_run(
                store,
                name=f"r{i}",
                config={"model": model, "lr": 10.0 ** -(1 + i % 3), "seed": i},
                metrics=[values],
                status="failed" if i == 4 else "completed",
                start_ts=past + i * S,
            )
        )
    return ids


def ls_json(cli: CliRunner, *args: str) -> list[dict]:
    code, out, err = invoke_main(cli, "ls", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_columns_are_the_frames_values(cli: CliRunner, store: Store, sweep: list[str]) -> None:
    records = ls_json(cli, "--columns", "id,name,config.lr,metrics.acc", "--sort", "-metrics.acc")
    frame = frames.runs(store=store).sort("acc", descending=True, nulls_last=True)
    assert [list(r) for r in records] == [["id", "name", "config.lr", "metrics.acc"]] * 7
    assert [r["id"] for r in records] == frame["run_id"].to_list()
    assert [r["metrics.acc"] for r in records] == frame["acc"].to_list()
    assert [r["config.lr"] for r in records] == frame["config.lr"].to_list()
    assert len(ls_json(cli, "--columns", "name", "--limit", "2")) == 2


def test_group_by_gives_count_mean_and_std(cli: CliRunner, store: Store, sweep: list[str]) -> None:
    rows = ls_json(cli, "--group-by", "config.model", "--columns", "metrics.acc,metrics.loss")
    expected = (
        frames.runs(store=store)
        .group_by("config.model")
        .agg(
            pl.len().alias("n"),
            pl.col("acc").mean().alias("acc_mean"),
            pl.col("acc").std().alias("acc_std"),
            pl.col("loss").mean().alias("loss_mean"),
            pl.col("loss").std().alias("loss_std"),
        )
    )
    want = {r["config.model"]: r for r in expected.to_dicts()}
    assert [r["config.model"] for r in rows] == ["small", "big", "tiny"]  # newest run first
    for row in rows:
        exp = want[row["config.model"]]
        assert row["count"] == exp["n"]
        for key in ("acc", "loss"):
            for stat in ("mean", "std"):
                got, ref = row[f"{stat}(metrics.{key})"], exp[f"{key}_{stat}"]
                assert (got is None and ref is None) or math.isclose(got, ref), (row, key, stat)
    assert rows[2]["std(metrics.acc)"] is None  # tiny: one run, and it has no accuracy


def test_the_group_table_shows_mean_plus_minus_std(cli: CliRunner, sweep: list[str]) -> None:
    code, out, err = invoke_main(cli, "ls", "-g", "config.model", "-c", "metrics.loss")
    assert code == 0, err
    big = next(line for line in out.splitlines() if line.startswith("big"))
    assert "±" in big and big.split()[1] == "3"


def test_csv_is_the_json_records(cli: CliRunner, sweep: list[str]) -> None:
    args = ("--columns", "name,status,config.model,metrics.acc,tags", "--limit", "0")
    code, out, err = invoke_main(cli, "ls", "--csv", *args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    records = ls_json(cli, *args)
    assert [r["name"] for r in rows] == [r["name"] for r in records]
    assert [r["status"] for r in rows] == [r["status"] for r in records]
    assert [float(r["metrics.acc"]) if r["metrics.acc"] else None for r in rows] == [
        r["metrics.acc"] for r in records
    ]
    grouped = list(csv.DictReader(io.StringIO(invoke(cli, "ls", "--csv", "-g", "status").stdout)))
    assert {r["status"]: int(r["count"]) for r in grouped} == {"completed": 6, "failed": 1}


def test_an_unknown_column_is_one_line_naming_it(cli: CliRunner, sweep: list[str]) -> None:
    code, _, err = invoke_main(cli, "ls", "--columns", "name,metrics.acx")
    assert code == 1
    assert err.strip().splitlines() == [
        "error: no column 'metrics.acx'; try one of: metrics.acc, metrics.loss"
    ]
    code, _, err = invoke_main(cli, "ls", "--json", "--csv")
    assert code == 1 and "--json" in err


def test_export_shapes_and_filters_the_same_way(
    cli: CliRunner, store: Store, sweep: list[str], tmp_path
) -> None:
    grouped = invoke(cli, "export", "-g", "config.model", "-c", "metrics.acc", "-F", "csv").stdout
    assert list(csv.DictReader(io.StringIO(grouped))) == list(
        csv.DictReader(
            io.StringIO(
                invoke(cli, "ls", "--csv", "-g", "config.model", "-c", "metrics.acc").stdout
            )
        )
    )
    out = tmp_path / "none.csv"
    invoke(cli, "export", "-p", "no-such-project", "-o", str(out))
    assert out.read_text().count("\n") <= 1  # a header at most


def test_an_empty_store_gives_empty_records(cli: CliRunner, store: Store) -> None:
    assert ls_json(cli, "--columns", "name,metrics.acc", "-g", "config.model") == []
    code, out, _ = invoke_main(cli, "ls", "--csv")
    assert code == 0 and out == ""


def test_columns_only_frames_runs_has_still_work(
    cli: CliRunner, store: Store, sweep: list[str]
) -> None:
    records = ls_json(cli, "--columns", "id,command,exit_code,metrics.acc", "--limit", "0")
    frame = frames.runs(store=store)
    assert [r["id"] for r in records] == frame["run_id"].to_list()
    assert [r["command"] for r in records] == frame["command"].to_list()
    assert [r["exit_code"] for r in records] == frame["exit_code"].to_list()
    assert [r["metrics.acc"] for r in records] == frame["acc"].to_list()
