import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from runar.store import Store

from .helpers import invoke, invoke_main, write_run

LS_KEYS = {
    "id",
    "short_id",
    "name",
    "status",
    "project",
    "failure",
    "error",
    "error_type",
    "created",
    "duration_s",
    "config",
    "metrics",
    "tags",
    "anomalies",
}


def test_ls_lists_runs_newest_first(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    result = invoke(cli, "ls")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    newer = next(i for i, line in enumerate(lines) if "high-lr" in line)
    older = next(i for i, line in enumerate(lines) if "baseline" in line)
    assert newer < older


def test_ls_shows_status_glyph_and_shared_metrics(
    cli: CliRunner, two_runs: tuple[str, str]
) -> None:
    out = invoke(cli, "ls").stdout
    assert "✓ completed" in out and "✗ failed" in out
    assert "ACCURACY" in out and "0.891" in out and "0.847" in out


def test_ls_json_schema(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    records = json.loads(invoke(cli, "ls", "--json").stdout)
    assert [r["id"] for r in records] == [two_runs[1], two_runs[0]]
    assert all(set(r) == LS_KEYS for r in records)
    baseline = records[1]
    assert baseline["status"] == "completed"
    assert baseline["metrics"] == {"loss": 0.4, "accuracy": 0.891}
    assert baseline["tags"] == ["baseline"]
    assert baseline["duration_s"] > 0


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--status", "failed", "high-lr"),
        ("--tag", "baseline", "baseline"),
        ("--name", "high", "high-lr"),
    ],
)
def test_ls_filters(
    cli: CliRunner, two_runs: tuple[str, str], flag: str, value: str, expected: str
) -> None:
    records = json.loads(invoke(cli, "ls", flag, value, "--json").stdout)
    assert [r["name"] for r in records] == [expected]


def test_ls_limit_keeps_the_newest(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    result = invoke(cli, "ls", "--limit", "1")
    assert "high-lr" in result.stdout and "baseline" not in result.stdout
    assert "--limit 0" in result.stderr


def test_ls_shows_a_live_run_as_running(cli: CliRunner, store: Store) -> None:
    write_run(store, name="live", status=None)  # this test process is the writer: alive
    assert "● running" in invoke(cli, "ls").stdout


def test_ls_without_a_store_hints_how_to_start(cli: CliRunner, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RUNAR_DIR", str(tmp_path / "nowhere" / ".runar"))
    result = invoke(cli, "ls")
    assert result.exit_code == 0
    assert "runar train.py" in result.stderr
    assert not (tmp_path / "nowhere").exists()  # reading never creates a store


def test_ls_json_without_runs_is_an_empty_list(cli: CliRunner, store: Store) -> None:
    assert json.loads(invoke(cli, "ls", "--json").stdout) == []


def test_ls_rejects_an_unknown_status(cli: CliRunner, store: Store) -> None:
    code, _, err = invoke_main(cli, "ls", "--status", "done")
    assert code == 1
    assert "unknown status 'done'" in err and len(err.strip().splitlines()) == 1


def test_rm_deletes_the_run_and_its_views(
    cli: CliRunner, store: Store, two_runs: tuple[str, str]
) -> None:
    baseline, other = two_runs
    result = invoke(cli, "rm", "baseline", "--yes")
    assert result.exit_code == 0 and "deleted" in result.stdout
    assert not store.run_dir(baseline).exists()
    records = json.loads(invoke(cli, "ls", "--json").stdout)
    assert [r["id"] for r in records] == [other]


def test_rm_without_a_terminal_refuses_and_deletes_nothing(
    cli: CliRunner, store: Store, two_runs: tuple[str, str]
) -> None:
    code, _, err = invoke_main(cli, "rm", "baseline")
    assert code == 1
    assert "--yes" in err and len(err.strip().splitlines()) == 1
    assert store.run_dir(two_runs[0]).exists()


def test_rm_with_one_unknown_id_deletes_nothing(
    cli: CliRunner, store: Store, two_runs: tuple[str, str]
) -> None:
    code, _, err = invoke_main(cli, "rm", "baseline", "zzzz", "--yes")
    assert code == 1 and "no run matches 'zzzz'" in err
    assert store.run_dir(two_runs[0]).exists()


def test_rm_refuses_a_running_run_without_force(cli: CliRunner, store: Store) -> None:
    run_id = write_run(store, name="live", status=None)
    code, _, err = invoke_main(cli, "rm", "live", "--yes")
    assert code == 1 and "--force" in err
    assert invoke(cli, "rm", "live", "--yes", "--force").exit_code == 0
    assert not store.run_dir(run_id).exists()


@pytest.mark.timeout(60)
def test_rm_asks_on_a_terminal_and_keeps_the_run_on_no(store: Store, two_runs) -> None:
    import pty

    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runar", "rm", "baseline"],
        stdin=child_fd,
        stdout=subprocess.PIPE,
        stderr=child_fd,
        env=os.environ,
    )
    os.close(child_fd)
    prompt = b""
    while b"[y/N]" not in prompt:
        try:
            prompt += os.read(main_fd, 1024)
        except OSError:
            raise AssertionError(prompt) from None
    os.write(main_fd, b"n\n")
    assert proc.wait(timeout=30) == 1
    os.close(main_fd)
    assert b"baseline" in prompt
    assert store.run_dir(two_runs[0]).exists()


def repo_state(repo) -> dict[str, str]:
    """Everything of a repository's that deleting runs must leave alone."""
    git = ["git", "-C", str(repo)]
    out = {}
    for key, args in {
        "refs": ["for-each-ref"],
        "status": ["status", "--porcelain", "--untracked-files=all"],
        "stash": ["stash", "list"],
        "staged": ["diff", "--cached"],
    }.items():
        out[key] = subprocess.run([*git, *args], capture_output=True, text=True).stdout
    out["files"] = repr(sorted((p.name, p.read_bytes()) for p in repo.iterdir() if p.is_file()))
    return out


@pytest.mark.parametrize("command", [["rm", "--yes"], ["clean", "--yes"]])
def test_deleting_in_a_copied_store_never_touches_the_repository(
    cli: CliRunner, store: Store, tmp_path, monkeypatch, command: list[str]
) -> None:
    from runar.events import GitState

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "a.txt").write_text("a")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "a"], check=True)
    (repo / "a.txt").write_text("stashed")
    subprocess.run([*git, "stash", "-q"], check=True)
    (repo / "a.txt").write_text("dirty")
    (repo / "b.txt").write_text("staged")
    subprocess.run([*git, "add", "b.txt"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    run_id = write_run(
        store, git=GitState(commit=head.strip(), snapshot=head.strip(), root=str(repo))
    )
    # what an older runar left in the repository, under the name it used
    subprocess.run([*git, "update-ref", f"refs/runar/{run_id}", head.strip()], check=True)
    before = repo_state(repo)
    copy = tmp_path / "elsewhere" / ".runar"
    shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns("index"))
    monkeypatch.setenv("RUNAR_DIR", str(copy))
    args = [command[0], run_id, *command[1:]] if command[0] == "rm" else command
    assert invoke(cli, *args).exit_code == 0
    assert not (copy / "runs" / run_id).exists()
    assert repo_state(repo) == before


def test_clean_removes_every_run(cli: CliRunner, store: Store, two_runs: tuple[str, str]) -> None:
    result = invoke(cli, "clean", "--yes")
    assert result.exit_code == 0 and "deleted 2 run(s)" in result.stdout
    assert store.run_ids() == []
    assert json.loads(invoke(cli, "ls", "--json").stdout) == []


def test_clean_without_a_terminal_refuses(
    cli: CliRunner, store: Store, two_runs: tuple[str, str]
) -> None:
    code, _, err = invoke_main(cli, "clean")
    assert code == 1 and "--yes" in err
    assert len(store.run_ids()) == 2


def test_rm_everywhere_leaves_a_tombstone_that_sync_honours(tmp_path, monkeypatch):
    from runar.journal.sync import sync

    here, peer = (
        Store(tmp_path / "a" / ".runar").create(),
        Store(tmp_path / "b" / ".runar").create(),
    )
    run_id = write_run(peer, name="old")
    sync(peer.root, here.root)
    monkeypatch.setenv("RUNAR_DIR", str(here.root))
    from runar.cli import main

    with pytest.raises(SystemExit) as done:
        main(["rm", "--yes", "--everywhere", "old"])
    assert done.value.code in (0, None)
    sync(peer.root, here.root)
    assert run_id not in here.run_ids()
