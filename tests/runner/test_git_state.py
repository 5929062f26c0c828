"""Git capture on real repositories: state, credential stripping, the dirty-tree snapshot
and the untracked files it leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from runar.runner.git_state import capture_git, strip_credentials

RUN_ID = "0123456789abcdef"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit on branch main, a .gitignore and a tracked file."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def user_state(repo: Path) -> dict[str, str]:
    """Everything of the user's that a snapshot must leave alone."""
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "index": (repo / ".git" / "index").read_bytes().hex(),
        "staged": git(repo, "diff", "--cached", "--name-status"),
        "status": git(repo, "status", "--porcelain"),
        "stash": git(repo, "stash", "list"),
        "branches": git(repo, "branch", "--list"),
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:hunter2@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://ghp_TOKEN123@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://user:pw@host:8443/o/r", "https://host:8443/o/r"),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("ssh://git:pw@github.com/o/r.git", "ssh://github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("/srv/repos/r.git", "/srv/repos/r.git"),
    ],
)
def test_credentials_are_stripped_from_remotes(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_outside_a_repository_there_is_no_git_state(tmp_path: Path) -> None:
    assert capture_git(tmp_path, RUN_ID) is None


def test_clean_tree_records_commit_branch_and_no_snapshot(repo: Path) -> None:
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    state = captured.state
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.branch == "main"
    assert state.dirty is False
    assert state.snapshot is None
    assert state.root == str(repo)


def test_remote_is_recorded_without_credentials(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://alice:s3cret@example.com/team/proj.git")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    assert captured.state.remote == "https://example.com/team/proj.git"


def test_repository_without_commits_is_captured_with_a_parentless_snapshot(
    tmp_path: Path,
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("x = 1\n")
    captured = capture_git(tmp_path, RUN_ID)
    assert captured is not None
    assert captured.state.commit is None and captured.state.dirty
    assert captured.state.snapshot is not None
    assert git(tmp_path, "show", f"{captured.state.snapshot}:a.py") == "x = 1"


def test_snapshot_reproduces_the_exact_dirty_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "train.py").write_text("print('v2, uncommitted')\n")  # modified
    (repo / "new_module.py").write_text("NEW = True\n")  # untracked
    (repo / "pkg").mkdir()
    (repo / "pkg" / "deep.py").write_text("DEEP = 1\n")  # untracked in a new folder
    (repo / ".gitignore").write_text("*.log\n# edited\n")
    (repo / "staged.py").write_text("STAGED = 1\n")
    git(repo, "add", "staged.py")  # staged but not committed
    (repo / "debug.log").write_text("ignored\n")  # ignored: not part of the code
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.dirty
    snapshot = captured.state.snapshot
    assert snapshot is not None

    checkout = tmp_path / "checkout"
    git(repo, "worktree", "add", "-q", "--detach", str(checkout), snapshot)
    files = {
        p.relative_to(checkout).as_posix(): p.read_text()
        for p in checkout.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    assert files == {
        "train.py": "print('v2, uncommitted')\n",
        "new_module.py": "NEW = True\n",
        "pkg/deep.py": "DEEP = 1\n",
        ".gitignore": "*.log\n# edited\n",
        "staged.py": "STAGED = 1\n",
    }


def test_snapshot_leaves_index_branch_head_and_stash_untouched(repo: Path) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    (repo / "untracked.py").write_text("U = 1\n")
    (repo / "staged.py").write_text("S = 1\n")
    git(repo, "add", "staged.py")
    before = user_state(repo)
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert user_state(repo) == before


def test_snapshot_makes_no_ref_in_the_users_repository(repo: Path) -> None:
    (repo / "train.py").write_text("print('v3')\n")
    refs = git(repo, "for-each-ref")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert git(repo, "for-each-ref") == refs
    assert git(repo, "rev-parse", f"{captured.state.snapshot}^") == captured.state.commit


def test_capture_from_a_subfolder_snapshots_the_whole_tree(repo: Path) -> None:
    sub = repo / "sub"
    sub.mkdir()
    (repo / "top.py").write_text("TOP = 1\n")
    captured = capture_git(sub, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert git(repo, "show", f"{captured.state.snapshot}:top.py") == "TOP = 1"


def test_large_untracked_files_are_left_out_and_reported(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runar.runner.git_snapshot.UNTRACKED_MAX_FILE_BYTES", 100)
    (repo / "weights.bin").write_bytes(b"\0" * 1000)
    (repo / "small.py").write_text("S = 1\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert [s.split(" (")[0] for s in captured.skipped] == ["weights.bin"]
    listed = git(repo, "ls-tree", "-r", "--name-only", captured.state.snapshot).split()
    assert "small.py" in listed and "weights.bin" not in listed


def test_untracked_secrets_and_other_trackers_folders_are_left_out_and_listed(repo: Path) -> None:
    for name in [".env", ".env.local", "secrets/key.pem", "deploy.key", "my_apikey.txt",
                 "credentials.json", ".netrc", "id_rsa", "wandb/run-1/files/config.yaml",
                 "mlruns/0/meta.yaml", "lightning_logs/version_0/hparams.yaml",
                 "outputs/2024-01-01/.hydra/config.yaml", "model.py"]:  # fmt: skip
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("value\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert captured.state.untracked == ["model.py"]
    assert sorted(captured.skipped) == [
        ".env (may hold secrets)",
        ".env.local (may hold secrets)",
        ".netrc (may hold secrets)",
        "credentials.json (may hold secrets)",
        "deploy.key (may hold secrets)",
        "id_rsa (may hold secrets)",
        "lightning_logs/ (another tool's runs)",
        "mlruns/ (another tool's runs)",
        "my_apikey.txt (may hold secrets)",
        "outputs/ (another tool's runs)",
        "secrets/key.pem (may hold secrets)",
        "wandb/ (another tool's runs)",
    ]
    listed = git(repo, "ls-tree", "-r", "--name-only", captured.state.snapshot).split()
    assert sorted(listed) == [".gitignore", "model.py", "train.py"]


def test_runarignore_patterns_leave_untracked_files_out(repo: Path) -> None:
    (repo / ".runarignore").write_text("data/\n*.csv\n!keep.csv\n")
    (repo / "data").mkdir()
    (repo / "data" / "x.py").write_text("X = 1\n")
    (repo / "table.csv").write_text("a,b\n")
    (repo / "keep.csv").write_text("c,d\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    assert sorted(captured.skipped) == ["data/x.py (.runarignore)", "table.csv (.runarignore)"]
    assert captured.state.untracked == [".runarignore", "keep.csv"]


def test_a_probe_started_early_gives_the_same_state(repo: Path) -> None:
    from runar.runner.git_state import start_probe

    (repo / "train.py").write_text("print('v2')\n")
    probe = start_probe(repo)
    early = capture_git(repo, RUN_ID, probe=probe)
    late = capture_git(repo, RUN_ID)
    assert early is not None and late is not None
    assert early.state.dirty and early.state.snapshot
    # the snapshot commits carry the clock's second: equal trees, maybe not equal ids
    assert git(repo, "rev-parse", f"{early.state.snapshot}^{{tree}}") == git(
        repo, "rev-parse", f"{late.state.snapshot}^{{tree}}"
    )
    early.state.snapshot = late.state.snapshot
    assert early.state == late.state


def test_a_probe_of_another_folder_is_not_used(repo: Path, tmp_path: Path) -> None:
    from runar.runner.git_state import start_probe

    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    probe = start_probe(elsewhere)  # not a repository: its answers would say "no git"
    captured = capture_git(repo, RUN_ID, probe=probe)
    assert captured is not None and captured.state.root == str(repo)
    assert all(p is None or p.returncode is not None for p in probe.procs)  # reaped


def test_files_the_script_writes_after_the_probe_stay_out_of_the_snapshot(repo: Path) -> None:
    from runar.runner.git_snapshot import snapshot_head
    from runar.runner.git_state import read_probe, start_probe

    (repo / "train.py").write_text("print('v2')\n")
    (repo / "model.py").write_text("M = 1\n")
    head = read_probe(start_probe(repo))
    assert head is not None
    # what a script writes once it runs: the snapshot is taken alongside it
    (repo / "checkpoint.py").write_text("WEIGHTS = 0\n")
    (repo / "model.py").unlink()  # an untracked file it removes does not fail the add
    snapshot = snapshot_head(head, RUN_ID)
    assert snapshot is not None
    listed = git(repo, "ls-tree", "-r", "--name-only", snapshot).split()
    assert sorted(listed) == [".gitignore", "train.py"]
    assert git(repo, "show", f"{snapshot}:train.py") == "print('v2')"


def test_the_patch_made_with_the_snapshot_is_the_diff_to_it(repo: Path) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    (repo / "new.py").write_text("N = 1\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    again = subprocess_bytes(
        repo, "diff", "--binary", "--full-index", "--no-renames", "HEAD", captured.state.snapshot
    )
    assert captured.patch == again


def test_the_empty_tree_id_is_known_without_asking_git(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("x = 1\n")
    captured = capture_git(tmp_path, RUN_ID)
    assert captured is not None
    assert captured.empty_tree == git(tmp_path, "hash-object", "-t", "tree", "/dev/null")


def subprocess_bytes(repo: Path, *args: str) -> bytes:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


def test_a_rename_lists_both_names_and_a_detached_head_has_no_branch(repo: Path) -> None:
    from runar.runner.git_state import read_probe, start_probe

    git(repo, "mv", "train.py", "renamed to.py")
    git(repo, "checkout", "-q", "--detach")
    head = read_probe(start_probe(repo))
    assert head is not None and head.dirty
    assert head.branch is None and head.commit == git(repo, "rev-parse", "HEAD")
    assert sorted(head.changed) == ["renamed to.py", "train.py"]
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot is not None
    listed = git(repo, "ls-tree", "-r", "--name-only", captured.state.snapshot).splitlines()
    assert sorted(listed) == [".gitignore", "renamed to.py"]
