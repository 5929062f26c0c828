"""`runar tag`, `runar rename`, `runar note`, `runar set`: edits after the fact, as new events.

`runar set RUN project=NAME` moves a run to another project the same way.

Each edit is appended to the run's log by a writer of its own (journal/edits.py), so
`runar replay` shows it, `runar reindex` keeps it and `runar sync` carries it. Adding a
tag twice, here or on another machine, still gives one tag; of two renames, the later
one (by event time, then writer id) wins in every store.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Final

import typer

from runar.cli.access import current_store, existing_views
from runar.errors import UsageError
from runar.ids import short
from runar.journal import edits

if TYPE_CHECKING:
    from runar.store import Store
    from runar.views.summary import RunSummary

# `-baseline` must reach the command as an argument, not be refused as an unknown option
TAG_CONTEXT: Final = {"ignore_unknown_options": True, "allow_interspersed_args": True}


def _label(summary: RunSummary) -> str:
    name = summary.display_name
    return f"{short(summary.run_id)} {name}" if name else short(summary.run_id)


def _resolve(store: Store, refs: list[str]) -> list[RunSummary]:
    with existing_views(store) as views:
        found = {s.run_id: s for s in (views.get(ref) for ref in refs)}
    return list(found.values())


def _targets(summaries: list[RunSummary]) -> dict[str, int]:
    return {s.run_id: max(s.last_ts, s.edited_ts) for s in summaries}


def _split_tag_arguments(items: list[str], bulk: bool) -> tuple[list[str], list[str]]:
    """Run refs first, then +tag/-tag changes; a bare word among the changes is an error."""
    first = next((i for i, item in enumerate(items) if edits.is_tag_change(item)), len(items))
    refs, changes = items[:first], items[first:]
    if first == len(items) and refs and (bulk or len(refs) > 1):
        changes = [refs.pop()]  # `runar tag RUN best`: the last word was meant as a tag
    return refs, changes


def tag(
    items: Annotated[
        list[str] | None,
        typer.Argument(help="Runs (ids, prefixes, names), then +TAG to add and -TAG to remove."),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            "-w",
            help="Also every run matching this query, e.g. 'acc>0.9', among the runs "
            "'runar ls --where' lists (the current project when the store holds several).",
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", help="With --where: look in this project instead."),
    ] = None,
    all_projects: Annotated[
        bool, typer.Option("--all-projects", help="With --where: look in every project.")
    ] = False,
) -> None:
    """Add (+TAG) and remove (-TAG) tags: runar tag RUN... +best -baseline."""
    refs, tokens = _split_tag_arguments(list(items or []), bulk=where is not None)
    changes = edits.parse_tag_changes(tokens)
    if changes.empty:
        raise UsageError("name the tags to change: runar tag RUN... +TAG -TAG")
    if not refs and where is None:
        raise UsageError("name the runs to tag, or select them with --where QUERY")
    store = current_store()
    summaries = _resolve(store, refs) if refs else []
    if where is None and (project is not None or all_projects):
        raise UsageError("--project and --all-projects choose where --where looks; add --where")
    if where is not None:
        chosen = _matching(store, where, project, all_projects)
        known = {s.run_id for s in summaries}
        summaries += _resolve(store, [i for i in chosen if i not in known])
    if not summaries:
        print(f"no run matches '{where}'; nothing changed", file=sys.stderr)
        return
    edits.tag_runs(store, _targets(summaries), changes)
    for summary in summaries:
        print(f"{_label(summary)}: {changes.describe()}")


def _matching(store: Store, where: str, project: str | None, all_projects: bool) -> list[str]:
    """Ids of the runs `runar ls --where` would list: in the current project, unless told."""
    import runar.frames as frames
    from runar.cli.listing import project_scope

    frame = frames.runs(store=store, where=where)
    with existing_views(store) as views:
        scope = project_scope(store, views, project, all_projects, where)
    ids: list[str] = frame["run_id"].to_list()
    if scope.project is None:
        return ids
    projects: list[str] = frame["project"].to_list()
    kept = [i for i, p in zip(ids, projects, strict=True) if p == scope.project]
    if scope.hint and len(kept) < len(ids):
        print(
            f"--where: runs of project {scope.project} only ({len(ids) - len(kept)} "
            "match elsewhere); --all-projects for all",
            file=sys.stderr,
        )
    return kept


def rename(
    ref: Annotated[str, typer.Argument(help="The run (id, prefix or name).")],
    new_name: Annotated[str, typer.Argument(help="Its new name.")],
) -> None:
    """Give a run a new name; when two stores rename it differently, the later rename wins."""
    store = current_store()
    (summary,) = _resolve(store, [ref])
    edits.rename_run(store, _targets([summary]), new_name)
    print(f"{short(summary.run_id)}: renamed to {new_name}")


def note(
    ref: Annotated[str, typer.Argument(help="The run (id, prefix or name).")],
    text: Annotated[str, typer.Argument(help="The note, quoted.")],
) -> None:
    """Add a note to a run."""
    store = current_store()
    (summary,) = _resolve(store, [ref])
    edits.add_note(store, _targets([summary]), text)
    print(f"{_label(summary)}: note added")


def set_values(
    ref: Annotated[str, typer.Argument(help="The run (id, prefix or name).")],
    assignments: Annotated[
        list[str],
        typer.Argument(help="summary.KEY=NUMBER or project=NAME, one or more.", show_default=False),
    ],
) -> None:
    """Set summary values of a run or move it: runar set RUN summary.acc=0.91 project=vision."""
    projects = [p for p in map(edits.parse_project_assignment, assignments) if p is not None]
    values = dict(
        edits.parse_summary_assignment(a)
        for a in assignments
        if not a.startswith(edits.PROJECT_PREFIX)
    )
    store = current_store()
    (summary,) = _resolve(store, [ref])
    if values:
        edits.set_summary(store, _targets([summary]), values)
    if projects:
        edits.move_runs(store, _targets([summary]), projects[-1])
    shown = [f"summary.{k}={v:g}" for k, v in values.items()]
    shown += [f"project={projects[-1]}"] if projects else []
    print(f"{_label(summary)}: {' '.join(shown)}")


def register(app: typer.Typer) -> None:
    """Add the edit commands to the runar command group."""
    app.command("tag", context_settings=TAG_CONTEXT)(tag)
    app.command("rename")(rename)
    app.command("note")(note)
    app.command("set")(set_values)
