import json
from pathlib import Path

from typer.testing import CliRunner

from runar.store import Store

from .helpers import invoke, invoke_main, write_run

SHOW_KEYS = {
    "id", "short_id", "name", "status", "project", "created", "ended", "duration_s", "exit_code",
    "signal", "error", "error_type", "traceback", "command", "argv", "arguments", "source",
    "rerun_of", "reproducibility",
    "cwd", "host", "user", "pid", "python",
    "executable", "platform", "git", "env", "packages", "config", "tags", "notes", "steps",
    "metrics", "summary", "artifacts", "system", "events", "corrupt", "anomalies",
}  # fmt: skip


def test_show_prints_every_section(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    out = invoke(cli, "show", "baseline").stdout
    for expected in ("baseline", "✓ completed", "train.py --epochs 2", "3.11.4", "lr: 0.001",
                     "Steps", "train", "Metrics", "0.891", "model.pt", "9 B"):  # fmt: skip
        assert expected in out, expected


def test_show_json_schema(cli: CliRunner, store: Store, two_runs: tuple[str, str]) -> None:
    record = json.loads(invoke(cli, "show", two_runs[0][:6], "--json").stdout)
    assert set(record) == SHOW_KEYS
    assert record["config"] == {"epochs": 10, "lr": 0.001}  # config(epochs=10) beats --epochs 2
    assert record["arguments"] == {
        "args": ["--epochs", "2"],
        "config": {"epochs": 2},
        "positional": [],
    }
    assert record["metrics"]["loss"] == {
        "last": 0.4, "last_step": 1, "best": 0.4, "min": 0.4, "max": 0.6, "count": 2,
    }  # fmt: skip
    assert record["metrics"]["accuracy"]["best"] == 0.891
    [step] = record["steps"]
    assert step["name"] == "train" and step["status"] == "completed" and step["duration_s"] > 0
    [artifact] = record["artifacts"]
    assert artifact["size"] == len(b"weights-a")
    assert Path(artifact["file"]).read_bytes() == b"weights-a"


def test_show_keeps_nan_metrics_readable(cli: CliRunner, store: Store) -> None:
    write_run(store, name="nan", metrics=[{"loss": float("nan")}])
    assert "nan" in invoke(cli, "show", "nan").stdout
    assert (
        json.loads(invoke(cli, "show", "nan", "--json").stdout)["metrics"]["loss"]["last"] is None
    )


def test_show_unknown_id_is_one_line(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    code, out, err = invoke_main(cli, "show", "nosuchrun")
    assert code == 1 and out == ""
    assert err.strip() == "error: no run matches 'nosuchrun'; see 'runar ls'"


def test_show_ambiguous_ref_lists_candidates(cli: CliRunner, store: Store) -> None:
    first = write_run(store, name="twin")
    second = write_run(store, name="twin")
    code, _, err = invoke_main(cli, "show", "twin")
    assert code == 1
    assert "matches 2 runs" in err and first[:8] in err and second[:8] in err
    assert "Traceback" not in err


TRACEBACK = """\
Traceback (most recent call last):
  File "/work/train.py", line 41, in <module>
    main()
  File "/work/train.py", line 35, in main
    logits = model(x)
RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)
"""


def test_show_says_why_a_run_failed(cli: CliRunner, store: Store) -> None:
    error = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 512x10)"
    write_run(
        store,
        name="bad",
        status="failed",
        error=error,
        error_type="RuntimeError",
        traceback=TRACEBACK,
    )
    out = invoke(cli, "show", "bad").stdout
    assert "Error" in out and "RuntimeError" in out
    assert 'File "/work/train.py", line 35, in main' in out
    record = json.loads(invoke(cli, "show", "bad", "--json").stdout)
    assert (record["error"], record["error_type"], record["traceback"]) == (
        error,
        "RuntimeError",
        TRACEBACK,
    )


def test_show_lists_the_arguments_and_their_config(cli: CliRunner, store: Store) -> None:
    write_run(store, name="args", config={"seed": 0}, args=["data/", "--lr=3e-4", "--no-warmup"])
    out = invoke(cli, "show", "args").stdout
    assert "arguments  data/ --lr=3e-4 --no-warmup" in out
    assert "lr: 0.0003" in out and "warmup: False" in out
    record = json.loads(invoke(cli, "show", "args", "--json").stdout)
    assert record["config"] == {"args": ["data/"], "lr": 3e-4, "seed": 0, "warmup": False}
