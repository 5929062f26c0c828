"""The default project rule: flag, RUNAR_PROJECT, the git repository's name, the store's."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from runar.projects import default_project, shown_project, store_project


@pytest.fixture(autouse=True)
def no_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAR_PROJECT", raising=False)


def test_a_git_repository_names_the_project(tmp_path: Path) -> None:
    repo = tmp_path / "vision-models"
    (repo / "src" / "deep").mkdir(parents=True)
    git(repo, "init", "-q")
    store = tmp_path / "shared" / ".runar"
    assert default_project(store, cwd=repo / "src" / "deep") == "vision-models"


def test_a_linked_worktree_is_named_after_its_main_checkout(tmp_path: Path) -> None:
    main = tmp_path / "vision-models"
    main.mkdir()
    git(main, "init", "-q")
    git(
        main,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    git(main, "worktree", "add", "-q", str(tmp_path / "vision-models-feature"))
    feature = tmp_path / "vision-models-feature"
    store = tmp_path / "shared" / ".runar"
    assert default_project(store, cwd=feature) == "vision-models"  # was vision-models-feature
    assert default_project(store, repo_root=feature) == "vision-models"  # as the runner asks


def test_outside_git_the_store_folder_names_it(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert default_project(tmp_path / "lab" / ".runar", cwd=tmp_path / "plain") == "lab"
    assert store_project(tmp_path / "team-store") == "team-store"  # a store not called .runar


def test_the_environment_beats_git_and_the_flag_beats_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    monkeypatch.setenv("RUNAR_PROJECT", "from-env")
    assert default_project(tmp_path / ".runar", cwd=tmp_path) == "from-env"
    assert default_project(tmp_path / ".runar", "from-flag", cwd=tmp_path) == "from-flag"


def test_a_known_repository_root_is_used_as_is(tmp_path: Path) -> None:
    assert default_project(tmp_path / ".runar", repo_root="/src/nanogpt", cwd=tmp_path) == "nanogpt"


def test_a_run_without_a_project_is_listed_under_the_store(tmp_path: Path) -> None:
    assert shown_project(None, tmp_path / "home" / ".runar") == "home"
    assert shown_project("nlp", tmp_path / "home" / ".runar") == "nlp"
