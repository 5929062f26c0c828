"""The code kept in the store restores the exact tree, with the store alone."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from gitrepo import git

from runar.runner import code_snapshot
from runar.runner.code_snapshot import keep, script_path, sibling_imports
from runar.runner.git_state import capture_git

RUN_ID = "0123456789abcdef"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits on main, a .gitignore and tracked files."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("*.log\n")
    (root / "train.py").write_text("import model\nprint('v1')\n")
    (root / "model.py").write_text("LAYERS = 2\n")
    (root / "blob.bin").write_bytes(bytes(range(256)))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    (root / "README.md").write_text("# proj\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "second")
    return root


def tree_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def make_dirty(repo: Path) -> None:
    """A modified file, a staged change, a deleted file, a binary edit and untracked files."""
    (repo / "train.py").write_text("import model\nprint('v2, not committed')\n")
    (repo / "model.py").write_text("LAYERS = 4\n")
    git(repo, "add", "model.py")
    (repo / "model.py").write_text("LAYERS = 8  # staged 4, then edited again\n")
    (repo / "README.md").unlink()
    (repo / "blob.bin").write_bytes(bytes(range(255, -1, -1)))
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "util.py").write_text("U = 1\n")
    (repo / "run.log").write_text("ignored by .gitignore\n")
    (repo / ".env").write_text("OPENAI_API_KEY=sk-should-never-leave\n")


def restore(code: Path, into: Path) -> None:
    """Rebuild the run's tree from the code folder alone: clone the bundle, apply the patch."""
    meta = json.loads((code / "meta.json").read_text())
    git(into.parent, "clone", "-q", "--no-checkout", str(code / meta["bundle"]), into.name)
    git(into, "checkout", "-q", "--detach", meta["commit"])
    git(into, "apply", "--binary", str(code / meta["patch"]))


def test_the_code_folder_alone_restores_the_exact_dirty_tree(repo: Path, tmp_path: Path) -> None:
    make_dirty(repo)
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "store" / "code"
    assert keep(code, captured, [sys.executable, "train.py"]) == []
    restored = tmp_path / "restored"
    restore(code, restored)
    expected = tree_files(repo)
    del expected["run.log"], expected[".env"]  # ignored, and a secret
    assert tree_files(restored) == expected


def test_meta_lists_the_commit_untracked_files_and_what_was_left_out(
    repo: Path, tmp_path: Path
) -> None:
    make_dirty(repo)
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    keep(code, captured, [])
    meta = json.loads((code / "meta.json").read_text())
    assert meta["commit"] == git(repo, "rev-parse", "HEAD")
    assert meta["branch"] == "main"
    assert meta["untracked"] == ["notes.txt", "pkg/util.py"]
    assert meta["skipped"] == [".env (may hold secrets)"]
    assert b"sk-should-never-leave" not in b"".join(p.read_bytes() for p in code.iterdir())


def test_code_files_are_written_once_and_read_only(repo: Path, tmp_path: Path) -> None:
    make_dirty(repo)
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    keep(code, captured, [])
    names = sorted(p.name for p in code.iterdir())
    assert names == ["commits.bundle", "diff.patch", "meta.json"]
    assert all(not (p.stat().st_mode & stat.S_IWUSR) for p in code.iterdir())


def test_a_pushed_commit_needs_no_bundle(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    (repo / "train.py").write_text("print('dirty')\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    keep(code, captured, [])
    meta = json.loads((code / "meta.json").read_text())
    assert meta["bundle"] is None and not (code / "commits.bundle").exists()
    assert meta["patch"] == "diff.patch"


def test_only_unpushed_commits_are_bundled(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    (repo / "local.py").write_text("L = 1\n")
    git(repo, "add", "local.py")
    git(repo, "commit", "-q", "-m", "not pushed")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    keep(code, captured, [])
    header = (code / "commits.bundle").read_bytes().split(b"\n\n")[0].decode().splitlines()
    # a prerequisite line ("-<sha>") for the pushed commit, one ref: the unpushed HEAD
    assert f"-{git(repo, 'rev-parse', 'HEAD~1')}" in [line.split()[0] for line in header]
    assert f"{git(repo, 'rev-parse', 'HEAD')} HEAD" in header


def test_an_unpushed_history_over_the_cap_is_left_out_and_said(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(code_snapshot, "BUNDLE_MAX_BYTES", 10)
    (repo / "train.py").write_text("print('dirty')\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    warnings = keep(code, captured, [])
    assert len(warnings) == 1 and "commits.bundle" in warnings[0]
    assert sorted(p.name for p in code.iterdir()) == ["diff.patch", "meta.json"]


def test_a_repository_without_commits_keeps_a_patch_from_the_empty_tree(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("A = 1\n")
    captured = capture_git(repo, RUN_ID)
    assert captured is not None
    code = tmp_path / "code"
    keep(code, captured, [])
    target = tmp_path / "target"
    target.mkdir()
    git(target, "init", "-q")
    git(target, "apply", str(code / "diff.patch"))
    assert (target / "a.py").read_text() == "A = 1\n"


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    """A folder that is no repository: a script, the modules it imports and others."""
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "train.py").write_text("import os\nimport data\nfrom model import Net\nprint(1)\n")
    (folder / "data.py").write_text("import augment\n")
    (folder / "augment.py").write_text("FLIP = True\n")
    (folder / "model.py").write_text("class Net: ...\n")
    (folder / "unrelated.py").write_text("NOT_IMPORTED = 1\n")
    (folder / "big.bin").write_bytes(b"\0" * 100)
    return folder


def test_outside_git_the_script_and_its_sibling_imports_are_kept(
    loose: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(loose)
    code = tmp_path / "code"
    assert keep(code, None, [sys.executable, "train.py", "--lr", "0.1"]) == []
    kept = tree_files(code / "files")
    assert kept == {
        n: (loose / n).read_bytes() for n in ("train.py", "data.py", "augment.py", "model.py")
    }
    meta = json.loads((code / "meta.json").read_text())
    assert meta["kind"] == "files" and meta["script"] == "train.py"
    assert meta["folder"] == str(loose)


def test_outside_git_the_files_are_capped_in_size(
    loose: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(loose)
    monkeypatch.setattr(code_snapshot, "SCRIPT_FILES_MAX_BYTES", 80)
    code = tmp_path / "code"
    warnings = keep(code, None, [sys.executable, "train.py"])
    meta = json.loads((code / "meta.json").read_text())
    assert "train.py" in meta["files"] and len(meta["files"]) < 4
    assert warnings and all("cap" in w for w in warnings)


def test_sibling_imports_follow_imports_transitively(loose: Path) -> None:
    found = {p.name for p in sibling_imports(loose / "train.py")}
    assert found == {"data.py", "augment.py", "model.py"}


def test_the_script_is_found_in_the_runners_commands(loose: Path, monkeypatch) -> None:
    monkeypatch.chdir(loose)
    assert script_path([sys.executable, "train.py", "x.py"]) == Path("train.py")
    assert script_path([f".{os.sep}train.py"]) == Path(f".{os.sep}train.py")
    assert script_path([sys.executable, "-m", "train"]) is None
    assert script_path(["echo", "hello"]) is None


def test_restore_tree_rebuilds_the_snapshot_in_a_repository_that_never_had_it(
    repo: Path, tmp_path: Path
) -> None:
    make_dirty(repo)
    captured = capture_git(repo, RUN_ID)
    assert captured is not None and captured.state.snapshot
    code = tmp_path / "store" / "code"
    keep(code, captured, [sys.executable, "train.py"])
    elsewhere = tmp_path / "elsewhere"  # another machine: neither the commit nor the snapshot
    elsewhere.mkdir()
    git(elsewhere, "init", "-q")
    tree = code_snapshot.restore_tree(
        str(elsewhere), code, captured.state.commit, captured.state.snapshot
    )
    assert tree is not None
    listing = git(elsewhere, "ls-tree", "-r", "--name-only", tree).splitlines()
    assert git(elsewhere, "show", f"{tree}:train.py") == "import model\nprint('v2, not committed')"
    assert "notes.txt" in listing and "README.md" not in listing and ".env" not in listing
    assert git(elsewhere, "for-each-ref") == ""  # objects only, no refs


def test_outside_git_files_the_script_or_its_args_name_are_kept_at_their_paths(
    loose: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (loose / "train.py").write_text("exec(open('configurator.py').read())\nopen('data.csv')\n")
    (loose / "configurator.py").write_text("import sys\n")
    (loose / "config").mkdir()
    (loose / "config" / "small.yaml").write_text("lr: 0.1\n")
    (loose / "data.json").write_bytes(b"[" + b"0," * 1000 + b"0]")  # data, not code: too big
    (tmp_path / "elsewhere.py").write_text("OUTSIDE = 1\n")
    monkeypatch.chdir(loose)
    monkeypatch.setattr(code_snapshot, "SCRIPT_FILES_MAX_BYTES", 1000)
    code = tmp_path / "code"
    args = ["config/small.yaml", "--data=data.json", f"--extra={tmp_path / 'elsewhere.py'}"]
    assert keep(code, None, [sys.executable, "train.py", *args]) == []  # nothing to warn about
    assert set(tree_files(code / "files")) == {"train.py", "configurator.py", "config/small.yaml"}
    meta = json.loads((code / "meta.json").read_text())
    assert [why.split()[0] for why in meta["skipped"]] == ["data.json"]
