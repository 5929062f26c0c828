"""Which project `runar ls` (and `tag/rm --where`) lists by default, and `runar projects`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import msgspec

from runar.cli import render
from runar.cli.access import NO_RUNS_HINT, current_store

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views import Views


class ProjectScope(msgspec.Struct, frozen=True):
    """Which project `runar ls` lists (None: every run) and the line that says so."""

    project: str | None = None
    hint: str | None = None


def current_project(store: Store) -> str:
    """The project a run started here would join (RUNAR_PROJECT, git repository, store)."""
    from runar.projects import default_project

    return default_project(store.root)


def _names_project(where: str | None) -> bool:
    """True when the query itself picks projects (``project=nlp``): no default then."""
    if not where or "project" not in where:
        return False
    from runar.errors import InvalidQuery
    from runar.views.query_syntax import And, Compare, In, Not, Or, parse

    try:
        stack = [parse(where)]
    except InvalidQuery:
        return False  # the query path says what is wrong with it
    while stack:
        match stack.pop():
            case Compare(field=fld) | In(field=fld) if fld.kind == "project":
                return True
            case Not(node=inner):
                stack.append(inner)
            case And(nodes=nodes) | Or(nodes=nodes):
                stack.extend(nodes)
    return False


def project_scope(
    store: Store, views: Views, project: str | None, all_projects: bool, where: str | None = None
) -> ProjectScope:
    """All runs when the store holds one project or the query names projects; else one."""
    if all_projects or (project is None and _names_project(where)):
        return ProjectScope()
    if project is not None:
        return ProjectScope(project)
    counts = views.projects()
    if len(counts) <= 1:
        return ProjectScope()
    current = current_project(store)
    total = sum(counts.values())
    return ProjectScope(
        current,
        f"showing project {current} ({counts.get(current, 0)} of {total} runs); "
        "--all-projects for all",
    )


def show_projects(as_json: bool = False) -> None:
    """`runar projects`: each project with its number of runs, the current one marked."""
    store = current_store()
    counts: dict[str, int] = {}
    if store.exists:
        from runar.views import open_views

        with open_views(store) as views:
            counts = views.projects()
    current = current_project(store)
    records = [
        {"project": name, "runs": count, "current": name == current}
        for name, count in counts.items()
    ]
    if as_json:
        render.print_json(records)
        return
    if not records:
        print(NO_RUNS_HINT, file=sys.stderr)
        return
    rows: list[list[render.Cell]] = [
        [("*", "bold") if r["current"] else "", r["project"], str(r["runs"])] for r in records
    ]
    render.print_table(["", "PROJECT", "RUNS"], rows, right=[2], flexible=[1])
    if current not in counts:
        print(f"current project: {current} (no runs yet)", file=sys.stderr)
