import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from runar.store import Store

from .helpers import invoke, invoke_main, write_run


def test_export_runs_to_parquet(cli: CliRunner, two_runs: tuple[str, str], tmp_path: Path) -> None:
    target = tmp_path / "runs.parquet"
    result = invoke(cli, "export", "-o", str(target))
    assert result.exit_code == 0
    frame = pl.read_parquet(target)
    assert sorted(frame["name"].to_list()) == ["baseline", "high-lr"]


def test_export_metrics_of_one_run_as_ndjson(
    cli: CliRunner, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "m.ndjson"
    invoke(cli, "export", "baseline", "--what", "metrics", "-o", str(target))
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert {r["run_id"] for r in rows} == {two_runs[0]}
    assert sorted(r["value"] for r in rows if r["key"] == "accuracy") == [0.85, 0.891]


def test_export_csv_to_stdout_flattens_lists(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    out = invoke(cli, "export", "--format", "csv").stdout
    header, *rows = out.splitlines()
    assert "run_id" in header and len(rows) == 2
    assert '"[""baseline""]"' in out  # the tags list, as JSON text


def test_export_parquet_needs_a_file(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    code, _, err = invoke_main(cli, "export", "--format", "parquet")
    assert code == 1 and "-o FILE.parquet" in err


def test_export_unknown_suffix_asks_for_a_format(
    cli: CliRunner, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    code, _, err = invoke_main(cli, "export", "-o", str(tmp_path / "runs.xlsx"))
    assert code == 1 and "--format" in err


def test_export_runs_has_the_command_args_and_arguments_as_config(
    cli: CliRunner, store: Store, tmp_path: Path
) -> None:
    write_run(
        store,
        name="gpt",
        config={"seed": 1},
        args=["config/train_shakespeare_char.py", "--n_layer=4", "--compile=False", "--lr", "6e-4"],
    )
    target = tmp_path / "runs.parquet"
    invoke(cli, "export", "-o", str(target))
    row = pl.read_parquet(target).row(0, named=True)
    assert row["args"] == "config/train_shakespeare_char.py --n_layer=4 --compile=False --lr 6e-4"
    assert row["command"].endswith("train.py " + row["args"])
    assert (row["config.n_layer"], row["config.compile"], row["config.lr"]) == (4, False, 6e-4)
    assert row["config.args"] == '["config/train_shakespeare_char.py"]'
    assert row["config.seed"] == 1
