"""`runar ls` by project: the current one when a store holds several; `runar projects`."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from runar.journal import edits
from runar.store import Store

from .helpers import S, invoke, invoke_main, write_run


def move(store: Store, run_id: str, project: str) -> None:
    edits.move_runs(store, {run_id: time.time_ns()}, project)


@pytest.fixture
def mixed(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three vision runs, two nlp runs and one older run that recorded no project."""
    monkeypatch.delenv("RUNAR_PROJECT", raising=False)
    past = time.time_ns() - 3600 * S
    runs = {f"v{i}": write_run(store, name=f"v{i}", start_ts=past + i * S) for i in range(3)}
    runs |= {f"n{i}": write_run(store, name=f"n{i}", start_ts=past + (5 + i) * S) for i in range(2)}
    runs["old"] = write_run(store, name="old", start_ts=past - S)
    for key, run_id in runs.items():
        if key != "old":
            move(store, run_id, "vision" if key.startswith("v") else "nlp")
    return runs


def listed(cli: CliRunner, *args: str) -> tuple[set[str], str]:
    code, out, err = invoke_main(cli, "ls", "--json", "--limit", "0", *args)
    assert code == 0, err
    return {r["name"] for r in json.loads(out)}, err


def test_a_store_of_one_project_lists_everything_without_a_hint(
    cli: CliRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "elsewhere")
    for name in ("a", "b"):
        write_run(store, name=name)
    names, err = listed(cli)
    assert names == {"a", "b"}
    assert "project" not in err


def test_the_current_project_is_listed_with_a_hint(
    cli: CliRunner, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    names, err = listed(cli)
    assert names == {"v0", "v1", "v2"}
    assert "showing project vision (3 of 6 runs); --all-projects for all" in err
    code, out, err = invoke_main(cli, "ls")  # the table, through the fast path
    assert code == 0 and "v1" in out and "n1" not in out
    assert "showing project vision (3 of 6 runs)" in err


def test_all_projects_and_an_explicit_one(
    cli: CliRunner, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    assert listed(cli, "--all-projects")[0] == {"v0", "v1", "v2", "n0", "n1", "old"}
    assert listed(cli, "-p", "nlp")[0] == {"n0", "n1"}
    result = invoke(cli, "ls", "--project", "nlp", "--json")  # the typer path agrees
    assert {r["name"] for r in json.loads(result.stdout)} == {"n0", "n1"}


def test_a_run_without_a_project_belongs_to_the_store_folder(
    cli: CliRunner, store: Store, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = store.root.parent.name
    monkeypatch.setenv("RUNAR_PROJECT", home)
    assert listed(cli)[0] == {"old"}
    assert listed(cli, "-p", home, "--where", "name:ol")[0] == {"old"}


def test_projects_lists_counts_and_marks_the_current_one(
    cli: CliRunner, store: Store, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "nlp")
    result = invoke(cli, "projects", "--json")
    assert json.loads(result.stdout) == [
        {"project": "vision", "runs": 3, "current": False},
        {"project": "nlp", "runs": 2, "current": True},
        {"project": store.root.parent.name, "runs": 1, "current": False},
    ]
    table = invoke(cli, "projects").stdout
    assert "*  nlp" in table


def test_set_project_moves_a_run(
    cli: CliRunner, store: Store, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "nlp")
    result = invoke(cli, "set", "v0", "project=nlp", "summary.acc=0.5")
    assert "project=nlp" in result.stdout
    assert listed(cli)[0] == {"n0", "n1", "v0"}
    code, _, err = invoke_main(cli, "set", "v0", "project=")
    assert code == 1 and "write project=NAME" in err


def test_a_query_that_names_projects_replaces_the_default(
    cli: CliRunner, mixed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    names, err = listed(cli, "--where", "project=nlp or name:v1")
    assert names == {"n0", "n1", "v1"}
    assert "showing project" not in err
    assert listed(cli, "--where", "name:n")[0] == set()  # other queries stay in vision


def test_moves_survive_reindex_and_the_later_one_wins_after_sync(
    store: Store, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runar.journal.sync import sync
    from runar.projector import rebuild
    from runar.views import open_views

    run_id = write_run(store, name="r")
    other = Store(tmp_path / "other" / ".runar").create()
    sync(store.root, other.root)
    now = time.time_ns()
    edits.move_runs(store, {run_id: now}, "first")
    edits.move_runs(other, {run_id: now + 5 * S}, "later")  # stamped after: the later move
    rebuild(store)
    sync(store.root, other.root)
    sync(other.root, store.root)
    for each in (store, other):
        with open_views(each) as views:
            assert views.get(run_id).project == "later"
            assert views.projects() == {"later": 1}
