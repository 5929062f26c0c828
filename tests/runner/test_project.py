"""`runar SCRIPT` records the run's project: -p, RUNAR_PROJECT, the git repo's name, the store's."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from runar.events import RunStarted
from runar.store import Store

from .helpers import events_of, of_type, run_runar, write_script

SCRIPT = "import os\nprint('project seen by the script:', os.environ.get('RUNAR_PROJECT'))\n"


@pytest.fixture(autouse=True)
def no_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAR_PROJECT", raising=False)


def _project(store: Store, run_id: str | None = None) -> str | None:
    return of_type(events_of(store, run_id), RunStarted)[0].project


def test_the_git_repository_name_is_the_default(store: Store, tmp_path: Path) -> None:
    repo = tmp_path / "speech-recognition"
    (repo / "train").mkdir(parents=True)
    git(repo, "init", "-q")
    write_script(repo / "train", SCRIPT)
    done = run_runar(["script.py"], cwd=repo / "train")
    assert done.returncode == 0, done.stderr
    assert _project(store) == "speech-recognition"
    # the script's own Run()s land in the same project
    assert "project seen by the script: speech-recognition" in done.stdout


def test_outside_git_the_store_folder_names_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "scratch"
    folder.mkdir()
    write_script(folder, SCRIPT)
    done = run_runar(["script.py"], cwd=folder, GIT_CEILING_DIRECTORIES=str(tmp_path.parent))
    assert done.returncode == 0, done.stderr
    assert _project(store) == store.root.parent.name


def test_the_flag_beats_the_environment_which_beats_git(store: Store, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write_script(tmp_path, SCRIPT)
    assert run_runar(["script.py"], cwd=tmp_path, RUNAR_PROJECT="env-proj").returncode == 0
    (env_run,) = store.run_ids()
    done = run_runar(["-p", "flag-proj", "script.py"], cwd=tmp_path, RUNAR_PROJECT="env-proj")
    assert done.returncode == 0, done.stderr
    (flag_run,) = set(store.run_ids()) - {env_run}
    assert _project(store, env_run) == "env-proj"
    assert _project(store, flag_run) == "flag-proj"
    assert run_runar(["--project=", "script.py"], cwd=tmp_path).returncode == 2
