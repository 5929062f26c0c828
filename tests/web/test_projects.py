"""Projects in the dashboard: GET /api/projects, /api/runs?project=, and the runs page selector."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from runar.journal import edits
from runar.store import Store
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.cli.helpers import write_run
from tests.web.browser import row_names, wait_rows
from tests.web.client import get_json
from tests.web.conftest import Served


@pytest.fixture
def projects_served(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Two vision runs, one nlp run and one older run without a project; current: vision."""
    monkeypatch.setenv("RUNAR_PROJECT", "vision")
    runs = {name: write_run(store, name=name) for name in ("old", "v1", "n1", "v2")}
    for name, project in (("v1", "vision"), ("v2", "vision"), ("n1", "nlp")):
        edits.move_runs(store, {runs[name]: time.time_ns()}, project)
    with serving_in_thread(create_app(store)) as base:
        yield Served(base, store, runs)


def test_projects_lists_counts_and_the_current_one(projects_served: Served) -> None:
    answer = get_json(projects_served.base, "/api/projects")
    home = projects_served.store.root.parent.name
    assert answer == {
        "projects": [
            {"project": "vision", "runs": 2},
            *sorted([{"project": home, "runs": 1}, {"project": "nlp", "runs": 1}], key=str),
        ],
        "current": "vision",
    }


def test_runs_filter_by_project(projects_served: Served) -> None:
    vision = get_json(projects_served.base, "/api/runs?project=vision")
    assert sorted(r["name"] for r in vision["runs"]) == ["v1", "v2"]
    assert vision["total"] == 2
    home = projects_served.store.root.parent.name
    assert [
        r["name"] for r in get_json(projects_served.base, f"/api/runs?project={home}")["runs"]
    ] == ["old"]
    assert get_json(projects_served.base, "/api/runs")["total"] == 4
    assert get_json(projects_served.base, "/api/runs?project=nope")["total"] == 0


def test_the_runs_page_starts_on_the_current_project_and_switches(
    projects_served: Served, page: Any
) -> None:
    page.goto(projects_served.base + "/")
    wait_rows(page, 2)
    assert row_names(page) == ["v2", "v1"]
    assert page.locator("select.project").input_value() == "vision"
    page.select_option("select.project", "nlp")
    wait_rows(page, 1)
    assert row_names(page) == ["n1"]
    assert "project=nlp" in page.evaluate("() => location.hash")
    page.select_option("select.project", "")
    wait_rows(page, 4)
    assert "project=all" in page.evaluate("() => location.hash")
