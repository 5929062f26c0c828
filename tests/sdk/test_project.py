"""The SDK files runs under a project: init(project=), Run(project=), RUNAR_PROJECT, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from runar import Run, init
from runar.events import ProjectSet, RunStarted
from runar.journal import read_run
from runar.store import Store
from runar.views import open_views

from .helpers import events_of, of_type, only_run, run_script


@pytest.fixture(autouse=True)
def no_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAR_PROJECT", raising=False)


def test_a_plain_python_script_in_a_repository_takes_its_name(store: Store, tmp_path: Path) -> None:
    repo = tmp_path / "detector"
    repo.mkdir()
    git(repo, "init", "-q")
    done = run_script(store, repo, "import runar\nrunar.log({'loss': 1.0})\n")
    assert done.returncode == 0, done.stderr
    assert of_type(events_of(store, only_run(store)), RunStarted)[0].project == "detector"


def test_init_and_the_environment_choose_it(store: Store, tmp_path: Path) -> None:
    code = "import runar\nrunar.init(project='from-init')\nrunar.log({'loss': 1.0})\n"
    assert run_script(store, tmp_path, code, env={"RUNAR_PROJECT": "env"}).returncode == 0
    first = only_run(store)
    assert (
        run_script(
            store, tmp_path, "import runar\nrunar.log({'a': 1})\n", env={"RUNAR_PROJECT": "env"}
        ).returncode
        == 0
    )
    (second,) = set(store.run_ids()) - {first}
    assert of_type(events_of(store, first), RunStarted)[0].project == "from-init"
    assert of_type(events_of(store, second), RunStarted)[0].project == "env"


def test_run_takes_a_project_in_process(store: Store) -> None:
    with Run("r", project="audio") as run:
        run.log({"x": 1.0})
    with open_views(store) as views:
        assert views.get(run.run_id).project == "audio"


def test_init_under_the_runner_moves_the_runners_run(store: Store, runner_run: str) -> None:
    run = init(project="moved")
    run.log({"x": 1.0})
    run.finish()
    events = read_run(store.run_dir(runner_run)).events
    assert [e.project for e in of_type(events, ProjectSet)] == ["moved"]
    with open_views(store) as views:
        assert views.get(runner_run).project == "moved"


def test_an_empty_project_is_refused(store: Store) -> None:
    from runar.errors import InvalidName

    with pytest.raises(InvalidName, match="project"):
        Run("r", project=" ")
