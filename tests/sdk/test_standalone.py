"""What a standalone run captures about where it runs: git state and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from runar.events import MetricsLogged, RunStarted
from runar.sdk.standalone import git_state
from runar.store import Store

from .helpers import events_of, of_type, only_run, run_script

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_git_state_reads_commit_and_branch(repo: Path) -> None:
    state = git_state(repo)
    assert state is not None
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.branch == "main" and not state.dirty and state.root == str(repo.resolve())


def test_git_state_sees_a_dirty_tree(repo: Path) -> None:
    (repo / "train.py").write_text("print(2)\n")
    state = git_state(repo)
    assert state is not None and state.dirty


def test_git_state_follows_packed_refs(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    state = git_state(repo)
    assert state is not None and state.commit == git(repo, "rev-parse", "HEAD")


def test_git_state_of_a_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    state = git_state(repo)
    assert state is not None and state.branch is None
    assert state.commit == git(repo, "rev-parse", "HEAD")


def test_outside_a_repository_there_is_no_git_state(tmp_path: Path) -> None:
    assert git_state(tmp_path) is None


def test_a_script_in_a_repository_records_its_commit(store: Store, repo: Path) -> None:
    done = run_script(store, repo, "import runar\nrunar.log({'a': 1})\n", "--lr", "3")
    assert done.returncode == 0, done.stderr
    (started,) = of_type(events_of(store, only_run(store)), RunStarted)
    assert started.git is not None and started.git.commit == git(repo, "rev-parse", "HEAD")
    assert started.argv[1:] == ["--lr", "3"]


def test_a_child_process_logs_into_the_parents_run(store: Store, tmp_path: Path) -> None:
    done = run_script(
        store,
        tmp_path,
        """
        import subprocess, sys
        import runar
        runar.log({"parent": 1})
        subprocess.run([sys.executable, "-c", "import runar; runar.log({'child': 1})"], check=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    events = events_of(store, only_run(store))
    assert {k for m in of_type(events, MetricsLogged) for k in m.values} == {"parent", "child"}
    assert len(of_type(events, RunStarted)) == 1
