"""`runar ls --where/--sort` and `runar export --where` select what frames.runs(where=) does."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time

import polars as pl
import pytest
from typer.testing import CliRunner

import runar.frames as frames
from runar.cli.listing import parse_fast
from runar.projector import catch_up
from runar.store import Store

from .helpers import S, invoke, invoke_main, write_run

EXPRESSIONS = [
    "acc>0.9",
    "lr<1e-3",
    "lr<=1e-3 acc>0.9",
    "metrics.acc>=0.85",
    "config.model=big",
    "status:failed",
    "tag:baseline",
    "name:ga",
    "bravo",
    "loss<0.3",
    "nosuchkey>1",
]


@pytest.fixture
def five_runs(store: Store) -> dict[str, str]:
    past = time.time_ns() - 3600 * S
    specs = [
        ("alpha", {"lr": 0.001, "model": "big"}, {"acc": 0.95, "loss": 0.2}, ["baseline"], None),
        ("bravo", {"lr": 0.01, "model": "small"}, {"acc": 0.85, "loss": 0.4}, [], "failed"),
        ("gamma", {"lr": 0.0001, "model": "big"}, {"acc": 0.92, "loss": 0.25}, [], None),
        ("delta", {"lr": 0.0005, "model": "small"}, {"acc": float("nan")}, ["baseline"], None),
        ("epsilon", {"lr": 0.003}, {"loss": 0.9}, [], None),
    ]
    return {
        name: write_run(
            store, name=name, config=config, metrics=[metrics], tags=tags,
            status=status or "completed", start_ts=past + i * S,
        )
        for i, (name, config, metrics, tags, status) in enumerate(specs)
    }  # fmt: skip


def ls_ids(cli: CliRunner, *args: str) -> list[str]:
    code, out, err = invoke_main(cli, "ls", "--json", "--limit", "0", *args)
    assert code == 0, err
    return [r["id"] for r in json.loads(out)]


@pytest.mark.parametrize("where", EXPRESSIONS)
def test_ls_where_selects_what_frames_runs_selects(
    cli: CliRunner, store: Store, five_runs: dict[str, str], where: str
) -> None:
    expected = frames.runs(store=store, where=where)["run_id"].to_list()
    assert ls_ids(cli, "--where", where) == expected


def test_the_expressions_select_the_runs_they_name(
    cli: CliRunner, store: Store, five_runs: dict[str, str]
) -> None:
    ids = {v: k for k, v in five_runs.items()}
    assert {ids[i] for i in ls_ids(cli, "--where", "lr<=1e-3 acc>0.9")} == {"alpha", "gamma"}
    assert {ids[i] for i in ls_ids(cli, "--where", "tag:baseline")} == {"alpha", "delta"}
    assert ls_ids(cli, "--where", "nosuchkey>1") == []


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-metrics.acc", ["alpha", "gamma", "bravo"]),  # NaN and missing left out below
        ("metrics.acc", ["bravo", "gamma", "alpha"]),
        ("config.lr", ["gamma", "delta", "alpha", "epsilon", "bravo"]),
        ("-name", ["gamma", "epsilon", "delta", "bravo", "alpha"]),
        ("created", ["alpha", "bravo", "gamma", "delta", "epsilon"]),
        ("-created", ["epsilon", "delta", "gamma", "bravo", "alpha"]),
    ],
)
def test_sort_orders_runs_and_puts_missing_values_last(
    cli: CliRunner, store: Store, five_runs: dict[str, str], sort: str, order: list[str]
) -> None:
    ids = {v: k for k, v in five_runs.items()}
    got = [ids[i] for i in ls_ids(cli, "--sort", sort)]
    assert got[: len(order)] == order
    assert len(got) == 5
    assert [ids[i] for i in frames.runs(store=store, sort=sort)["run_id"]] == got


def test_where_sort_and_limit_together(
    cli: CliRunner, store: Store, five_runs: dict[str, str]
) -> None:
    code, out, _ = invoke_main(
        cli, "ls", "--json", "--where", "acc>0.8", "--sort", "-metrics.acc", "-l", "2"
    )
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["alpha", "gamma"]


def test_where_combines_with_the_old_filters(
    cli: CliRunner, store: Store, five_runs: dict[str, str]
) -> None:
    assert ls_ids(cli, "--where", "acc>0.8", "--status", "failed") == [five_runs["bravo"]]
    assert ls_ids(cli, "--where", "model=big", "-t", "baseline") == [five_runs["alpha"]]


def test_fast_path_and_typer_agree_on_where_and_sort(
    cli: CliRunner, store: Store, five_runs: dict[str, str]
) -> None:
    args = ["ls", "--json", "--where", "acc>0.8", "--sort", "-metrics.acc"]
    assert parse_fast(args) is not None
    _, fast, _ = invoke_main(cli, *args)
    slow = invoke(cli, *args).stdout
    assert [r["id"] for r in json.loads(fast)] == [r["id"] for r in json.loads(slow)]


def test_table_output_with_where(cli: CliRunner, store: Store, five_runs: dict[str, str]) -> None:
    code, out, _ = invoke_main(cli, "ls", "--where", "model=big", "--sort", "-metrics.acc")
    assert code == 0
    assert out.index("alpha") < out.index("gamma") and "bravo" not in out


def test_export_where_writes_the_same_runs(
    cli: CliRunner, store: Store, five_runs: dict[str, str], tmp_path
) -> None:
    target = tmp_path / "runs.ndjson"
    query = ["--where", "lr<=1e-3 acc>0.9", "--sort", "-metrics.acc"]
    invoke(cli, "export", *query, "-o", str(target))
    assert pl.read_ndjson(target)["run_id"].to_list() == ls_ids(cli, *query)
    metrics = tmp_path / "metrics.csv"
    invoke(cli, "export", "--what", "metrics", "--where", "tag:baseline", "-o", str(metrics))
    assert set(pl.read_csv(metrics)["run_id"]) == {five_runs["alpha"], five_runs["delta"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "acc>"], "column 5: expected a value after '>'"),
        (["--where", "read_csv('x')"], "unknown function 'read_csv('"),
        (["--where", "lr<big"], "'big' is not a number"),
        (["--sort", "bogus"], "cannot sort by 'bogus'"),
        (["--sort", "tags"], "cannot sort by 'tags': it holds lists"),
    ],
)
def test_bad_queries_are_one_line_and_a_caret(
    cli: CliRunner, store: Store, five_runs: dict[str, str], args: list[str], message: str
) -> None:
    code, _, err = invoke_main(cli, "ls", *args)
    assert code == 1
    error, text, caret = err.rstrip("\n").splitlines()
    assert message in error
    assert text.strip() == args[1]
    assert caret.strip() == "^"


def test_frames_runs_where_on_an_empty_store(store: Store) -> None:
    assert frames.runs(store=store, where="acc>0.9", sort="-metrics.acc").height == 0


def test_ls_where_answers_without_polars(store: Store, five_runs: dict[str, str]) -> None:
    catch_up(store)  # the runs were folded by an earlier command: nothing new to read
    code = (
        "import json, sys, contextlib, io\n"
        "from runar.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):\n"
        "    main(['ls', '--json', '--where', 'lr<1e-3 or tag:baseline', '--sort', '-acc'])\n"
        "print(json.dumps([[r['name'] for r in json.loads(out.getvalue())],\n"
        "                  [m for m in ('polars', 'runar.views.stdout_metrics', 'tomllib')\n"
        "                   if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "RUNAR_DIR": str(store.root)},
        check=True,
    )
    names, loaded = json.loads(done.stdout)
    assert names == ["alpha", "gamma", "delta"]  # NaN sorts last
    assert loaded == []  # nor the output parser's patterns, nor a TOML parser: nothing to fold


def test_the_console_script_lists_and_an_in_process_call_keeps_collecting(
    cli: CliRunner, store: Store, five_runs: dict[str, str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runar", "ls", "--json", "--where", "acc>0.9", "--sort", "name"],
        capture_output=True,
        text=True,
        env={**os.environ, "RUNAR_DIR": str(store.root)},
        check=True,
    )  # main() without arguments: the process ends next, so no collection and a frozen heap
    assert [r["name"] for r in json.loads(done.stdout)] == ["alpha", "gamma"]
    gc.enable()  # whatever an earlier test's command did to this process
    assert ls_ids(cli, "--where", "acc>0.9") == [five_runs["gamma"], five_runs["alpha"]]
    assert gc.isenabled()  # main(argv) in a longer process leaves the collector alone
