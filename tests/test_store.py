"""store.py: where the store is found, in the documented order."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runar.errors import StoreError
from runar.store import Store


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAR_DIR", raising=False)
    monkeypatch.delenv("RUNAR_INDEX_DIR", raising=False)


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_runar_dir_wins_over_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".runar").mkdir()
    git_init(tmp_path)
    monkeypatch.setenv("RUNAR_DIR", str(tmp_path / "elsewhere"))
    assert Store.discover(tmp_path).root == tmp_path / "elsewhere"


@pytest.mark.usefixtures("no_env")
def test_nearest_runar_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".runar").mkdir()
    (tmp_path / "a" / ".runar").mkdir(parents=True)
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    git_init(tmp_path)
    assert Store.discover(deep).root == tmp_path / "a" / ".runar"


@pytest.mark.usefixtures("no_env")
def test_git_root_when_no_runar_exists(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git_init(repo)
    deep = repo / "src" / "pkg"
    deep.mkdir(parents=True)
    assert Store.discover(deep).root == repo / ".runar"


@pytest.mark.usefixtures("no_env")
def test_runar_above_git_root_still_wins(tmp_path: Path) -> None:
    (tmp_path / ".runar").mkdir()
    git_init(tmp_path / "repo")
    assert Store.discover(tmp_path / "repo").root == tmp_path / ".runar"


@pytest.mark.usefixtures("no_env")
def test_cwd_outside_any_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Store.discover().root == tmp_path / ".runar"


@pytest.mark.usefixtures("no_env")
def test_a_file_named_runar_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / ".runar").write_text("not a folder")
    git_init(tmp_path / "repo")
    assert Store.discover(tmp_path / "repo").root == tmp_path / "repo" / ".runar"


def test_create_makes_runs_folder_and_lists_only_run_ids(tmp_path: Path) -> None:
    store = Store(tmp_path / ".runar").create()
    assert store.exists
    (store.runs_dir / "0123456789abcdef").mkdir()
    (store.runs_dir / "not-a-run").mkdir()
    (store.runs_dir / "fedcba9876543210").write_text("a file, not a run")
    assert store.run_ids() == ["0123456789abcdef"]


def test_derived_state_lives_apart_from_the_log(tmp_path: Path) -> None:
    store = Store(tmp_path / ".runar")
    assert not store.index_dir.is_relative_to(store.runs_dir)
    assert store.run_dir("0123456789abcdef").parent == store.runs_dir


def test_unwritable_location_is_a_clear_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="RUNAR_DIR"):
        Store(tmp_path / "file" / ".runar").create()
