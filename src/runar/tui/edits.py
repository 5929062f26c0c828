"""Edits from the dashboard (tag, rename, note) and its project switcher, over journal/edits.py.

An edit is written exactly as `runar tag/rename/note` writes it: new events from an edit
writer, so it survives `runar reindex` and travels with `runar sync`. Writing happens in
a worker thread; the app's catch-up then brings the edited runs back to the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from runar.errors import UsageError
from runar.journal import edits
from runar.projects import default_project, shown_project
from runar.store import Store
from runar.tui.catalog import RunEntry

EditKind = Literal["tag", "rename", "note"]
ALL_PROJECTS: Final = None  # the switcher's "all" position


def apply_edit(store: Store, entries: Sequence[RunEntry], kind: EditKind, text: str) -> str:
    """Write one edit into every entry's run; what was done, in a few words.

    Raises a RunarError (UsageError, InvalidValue) naming what is wrong with ``text``.
    """
    targets = {e.run_id: max(e.summary.last_ts, e.summary.edited_ts) for e in entries}
    if kind == "tag":
        changes = edits.parse_tag_changes(text.split())
        if changes.empty:
            raise UsageError("type tags to change, e.g. +best -baseline")
        edits.tag_runs(store, targets, changes)
        return f"{changes.describe()} on {_runs(len(targets))}"
    if kind == "rename":
        edits.rename_run(store, targets, text.strip())
        return f"renamed to {text.strip()}"
    edits.add_note(store, targets, text)
    return f"note added to {_runs(len(targets))}"


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def project_of(entry: RunEntry, store: Store) -> str:
    """The project a run is listed under (the store's name when it recorded none)."""
    return shown_project(entry.summary.project, store.root)


def project_counts(entries: Iterable[RunEntry], store: Store) -> dict[str, int]:
    """Project → number of runs, most runs first."""
    counts: dict[str, int] = {}
    for entry in entries:
        project = project_of(entry, store)
        counts[project] = counts.get(project, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def initial_project(counts: dict[str, int], store: Store) -> str | None:
    """As `runar ls`: the current project when the store holds several, else all."""
    if len(counts) <= 1:
        return ALL_PROJECTS
    current = default_project(store.root)
    return current if current in counts else ALL_PROJECTS


def next_project(current: str | None, counts: dict[str, int]) -> str | None:
    """The switcher's next position: all, then each project, then all again."""
    order: list[str | None] = [ALL_PROJECTS, *counts]
    position = order.index(current) if current in order else 0
    return order[(position + 1) % len(order)]
