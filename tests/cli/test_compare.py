import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from runar.events import GitState
from runar.store import Store

from .helpers import invoke, invoke_main, write_run

DIFF_KEYS = {"a", "b", "arguments", "config", "metrics", "git", "environment", "packages"}


def test_diff_shows_metric_deltas(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    out = invoke(cli, "diff", "baseline", "high-lr").stdout
    assert "accuracy: 0.891 → 0.847 (−0.044)" in out
    assert "lr: 0.001 → 0.01" in out
    assert "+ dropout: 0.1" in out


def test_diff_json_schema(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    record = json.loads(invoke(cli, "diff", "baseline", "high-lr", "--json").stdout)
    assert set(record) == DIFF_KEYS
    assert record["a"]["id"] == two_runs[0]
    assert record["arguments"] == {
        "a": ["train.py", "--epochs", "2"],
        "b": ["train.py", "--epochs", "2"],
        "identical": True,
    }
    assert record["config"] == {
        "changed": {"lr": [0.001, 0.01]},
        "added": {"dropout": 0.1},
        "removed": {},
    }
    accuracy = record["metrics"]["accuracy"]
    assert accuracy["a"] == 0.891 and accuracy["b"] == 0.847
    assert abs(accuracy["delta"] + 0.044) < 1e-9
    assert record["packages"] == {
        "changed": {"numpy": ["1.26.0", "2.0.0"]},
        "added": {"einops": "0.7.0"},
        "removed": {},
    }


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_diff_shows_the_code_change_between_snapshots(
    cli: CliRunner, store: Store, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("lr = 0.001\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-qm", "first")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("lr = 0.01\n")
    _git(repo, "commit", "-qam", "second")
    second = _git(repo, "rev-parse", "HEAD")
    write_run(store, name="one", git=GitState(commit=first, branch="main", root=str(repo)))
    write_run(store, name="two", git=GitState(commit=second, branch="main", root=str(repo)))
    record = json.loads(invoke(cli, "diff", "one", "two", "--json").stdout)
    assert "-lr = 0.001\n+lr = 0.01" in record["git"]["code_diff"]
    assert "+lr = 0.01" in invoke(cli, "diff", "one", "two").stdout


def test_diff_outside_git_says_why_there_is_no_code_diff(
    cli: CliRunner, two_runs: tuple[str, str]
) -> None:
    record = json.loads(invoke(cli, "diff", "baseline", "high-lr", "--json").stdout)
    assert record["git"]["code_diff"] is None
    assert "git" in record["git"]["reason"]


def test_diff_unknown_second_run_is_one_line(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    code, out, err = invoke_main(cli, "diff", "baseline", "missing")
    assert code == 1 and out == ""
    assert err.strip() == "error: no run matches 'missing'; see 'runar ls'"


def test_diff_shows_differing_arguments_as_config(cli: CliRunner, store: Store) -> None:
    # names with "-" can never also be an id prefix (ids are Crockford base32): not ambiguous
    write_run(store, name="run-a", config={"seed": 0}, args=["--lr", "0.1", "--epochs", "10"])
    write_run(store, name="run-b", config={"seed": 0}, args=["--lr", "0.2", "--epochs", "10"])
    out = invoke(cli, "diff", "run-a", "run-b", "--no-code").stdout
    assert "a: train.py --lr 0.1 --epochs 10" in out
    assert "b: train.py --lr 0.2 --epochs 10" in out
    assert "lr: 0.1 → 0.2" in out
    record = json.loads(invoke(cli, "diff", "run-a", "run-b", "--json", "--no-code").stdout)
    assert record["config"]["changed"] == {"lr": [0.1, 0.2]}
    assert record["arguments"]["identical"] is False


def test_diff_never_calls_differing_arguments_identical(cli: CliRunner, store: Store) -> None:
    # config() sets lr in both runs, so the config is equal although --lr was spelled apart
    write_run(store, name="run-a", config={"lr": 0.1}, args=["--lr", "0.1"])
    write_run(store, name="run-b", config={"lr": 0.1}, args=["--lr=0.1"])
    out = invoke(cli, "diff", "run-a", "run-b", "--no-code").stdout
    arguments = out.split("Arguments", 1)[1].split("Metrics", 1)[0]
    assert "identical" not in arguments
    assert "a: train.py --lr 0.1" in arguments and "b: train.py --lr=0.1" in arguments
    assert "same values; the arguments differ" in arguments
    record = json.loads(invoke(cli, "diff", "run-a", "run-b", "--json", "--no-code").stdout)
    assert record["arguments"] == {
        "a": ["train.py", "--lr", "0.1"],
        "b": ["train.py", "--lr=0.1"],
        "identical": False,
    }


def test_diff_rebuilds_pruned_snapshots_from_the_store(store: Store, tmp_path: Path) -> None:
    from tests.gitrepo import git
    from tests.runner.helpers import run_runar

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "train.py").write_text("lr = 0.001\nprint('ok')\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-qm", "first")
    for lr in ("0.01", "0.1"):  # uncommitted edits: each run's code is a snapshot
        (repo / "train.py").write_text(f"lr = {lr}\nprint('ok')\n")
        assert run_runar(["-n", f"lr{lr}", "train.py"], cwd=repo).returncode == 0
    # nothing in the repository refers to the snapshots: gc prunes them
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    refs_before = git(repo, "for-each-ref")
    done = run_runar(["diff", "lr0.01", "lr0.1", "--json"], cwd=repo)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert "-lr = 0.01\n+lr = 0.1" in record["git"]["code_diff"]
    assert git(repo, "for-each-ref") == refs_before  # objects only: no ref was made
    assert git(repo, "status", "--porcelain") == "M train.py"
