"""`runar tag --where` edits what `runar ls --where` lists: the current project, unless told."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from runar.journal import edits
from runar.store import Store

from .helpers import S, invoke_main, write_run


@pytest.fixture
def two_projects(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two vision runs and one nlp run; the current project is vision."""
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    past = time.time_ns() - 3600 * S
    runs = {
        name: write_run(store, name=name, start_ts=past + i * S)
        for i, name in enumerate(("v0", "v1", "n0"))
    }
    for name, run_id in runs.items():
        edits.move_runs(store, {run_id: time.time_ns()}, "nlp" if name == "n0" else "vision")
    return runs


def tagged(cli: CliRunner, tag: str) -> set[str]:
    code, out, err = invoke_main(cli, "ls", "--json", "--all-projects", "--where", f"tag:{tag}")
    assert code == 0, err
    return {r["name"] for r in json.loads(out)}


def test_tag_where_stays_in_the_current_project_as_ls_does(
    cli: CliRunner, two_projects: dict[str, str]
) -> None:
    code, _, err = invoke_main(cli, "tag", "--where", "name:*0", "+picked")
    assert code == 0, err
    assert tagged(cli, "picked") == {"v0"}  # n0 matches too, in another project
    assert "project vision only" in err and "--all-projects" in err


@pytest.mark.parametrize(
    ("options", "expected"),
    [(["--all-projects"], {"v0", "n0"}), (["--project", "nlp"], {"n0"})],
)
def test_tag_where_looks_where_it_is_told(
    cli: CliRunner, two_projects: dict[str, str], options: list[str], expected: set[str]
) -> None:
    code, _, err = invoke_main(cli, "tag", "--where", "name:*0", *options, "+picked")
    assert code == 0, err
    assert tagged(cli, "picked") == expected


def test_project_options_without_where_are_one_line(
    cli: CliRunner, two_projects: dict[str, str]
) -> None:
    code, _, err = invoke_main(cli, "tag", "v0", "--all-projects", "+x")
    assert code == 1 and err.startswith("error: --project and --all-projects")


def test_ls_of_several_projects_says_whose_each_run_is(
    cli: CliRunner, two_projects: dict[str, str]
) -> None:
    code, out, err = invoke_main(cli, "ls", "--all-projects")
    assert code == 0, err
    header, _, *rows = out.splitlines()
    assert header.split()[:3] == ["ID", "PROJECT", "NAME"]
    assert {tuple(row.split()[1:3]) for row in rows} == {
        ("nlp", "n0"),
        ("vision", "v1"),
        ("vision", "v0"),
    }
    code, out, err = invoke_main(cli, "ls")  # one project: no column for it
    assert code == 0, err
    assert "PROJECT" not in out.splitlines()[0]
