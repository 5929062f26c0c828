"""Edits after the fact: tags, names, notes and summary values as new events in a run's log.

The log stays append-only: an edit is one more segment, written by a writer of role
``edit`` that owns it, so editing a run that is still being written is safe. The views
fold edits like any other event, which makes them survive ``runar reindex`` and travel
with ``runar sync``: two stores adding the same tag give one tag (tags are a set of
last-writer-wins flags), and two renames resolve to the one with the later clock
``(ts, writer, seq)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from runar.errors import InvalidValue, StoreError, UsageError
from runar.events import AnyEvent, NoteAdded, ProjectSet, RunRenamed, SummarySet, TagsChanged
from runar.ids import EDIT_ROLE
from runar.journal import JournalWriter
from runar.store import Store

MAX_LABEL_CHARS: Final = 256  # a name, tag or project: what the write API accepts too
SUMMARY_PREFIX: Final = "summary."
PROJECT_PREFIX: Final = "project="


@dataclass(frozen=True)
class TagChanges:
    """Tags to add and to remove, in the order given."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed

    def describe(self) -> str:
        return " ".join([*(f"+{t}" for t in self.added), *(f"-{t}" for t in self.removed)])


def is_tag_change(token: str) -> bool:
    """True for ``+tag`` and ``-tag``."""
    return len(token) > 1 and token[0] in "+-"


def parse_tag_changes(tokens: Sequence[str]) -> TagChanges:
    """``+best -baseline`` → added and removed tags; a token without + or - is an error."""
    added: list[str] = []
    removed: list[str] = []
    for token in tokens:
        if not is_tag_change(token):
            raise UsageError(
                f"'{token}' is not a tag change: write +{token} to add it or -{token} to remove it"
            )
        tag = token[1:]
        if tag != tag.strip() or any(ch.isspace() or not ch.isprintable() for ch in tag):
            raise UsageError(f"tag '{tag}' contains spaces or control characters; use one word")
        _check_length(tag, "tag")
        (added if token[0] == "+" else removed).append(tag)
    both = set(added) & set(removed)
    if both:
        tag = sorted(both)[0]
        raise UsageError(f"tag '{tag}' is both added and removed; keep +{tag} or -{tag}")
    return TagChanges(tuple(dict.fromkeys(added)), tuple(dict.fromkeys(removed)))


def parse_summary_assignment(text: str) -> tuple[str, float]:
    """``summary.key=value`` → (key, number); anything else is an InvalidValue naming it."""
    target, sep, raw = text.partition("=")
    if not sep or not target.startswith(SUMMARY_PREFIX) or target == SUMMARY_PREFIX:
        raise InvalidValue(
            f"cannot set '{text}'; write summary.KEY=NUMBER, e.g. summary.acc=0.91, or project=NAME"
        )
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValue(
            f"'{raw}' in '{text}' is not a number; summary values are numbers"
        ) from None
    return target[len(SUMMARY_PREFIX) :], value


def parse_project_assignment(text: str) -> str | None:
    """``project=NAME`` → NAME; None for any other assignment."""
    if not text.startswith(PROJECT_PREFIX):
        return None
    project = text[len(PROJECT_PREFIX) :].strip()
    if not project or any(not ch.isprintable() for ch in project):
        raise InvalidValue(f"cannot set '{text}'; write project=NAME, e.g. project=vision")
    _check_length(project, "project name")
    return project


def _check_length(label: str, what: str) -> None:
    if len(label) > MAX_LABEL_CHARS:
        raise InvalidValue(
            f"the {what} '{label[:40]}…' is {len(label)} characters; keep it to {MAX_LABEL_CHARS}"
        )


def check_name(name: str) -> str:
    """A run name as given, refused when it cannot be shown or typed back."""
    if not name.strip():
        raise InvalidValue("a run name cannot be empty; e.g. runar rename RUN baseline")
    if any(not ch.isprintable() for ch in name):
        raise InvalidValue(f"run name {name!r} contains a control character; use plain text")
    _check_length(name, "run name")
    return name


EventFactory = Callable[[], AnyEvent]
Targets = Mapping[str, int]  # run id → the time of the latest event of it the editor saw


def append_edits(store: Store, runs: Targets, make: Sequence[EventFactory]) -> int:
    """Append the events ``make`` builds to each run, through a writer of its own; runs edited.

    An edit is stamped after every event of the run the editor saw: with a clock behind
    the run's (another machine's, or a run still writing), last-writer-wins would
    otherwise let the old value beat the edit meant to replace it. A factory rather than
    an event, so no event object (whose envelope the writer stamps) is shared by two runs.
    """
    errors: list[OSError] = []
    count = 0
    for run_id, seen_ts in runs.items():
        writer = JournalWriter(
            store.run_dir(run_id), run_id, role=EDIT_ROLE, on_error=errors.append
        )
        try:
            for factory in make:
                event = factory()
                event.ts = max(time.time_ns(), seen_ts + 1)
                writer.append(event)
            writer.flush(durable=True)
        finally:
            writer.close()
        if errors:
            raise StoreError(f"cannot write the edit into run '{run_id}': {errors[0]}")
        count += 1
    return count


def tag_runs(store: Store, runs: Targets, changes: TagChanges) -> int:
    """Add and remove tags on every run."""
    return append_edits(
        store,
        runs,
        [lambda: TagsChanged(added=list(changes.added), removed=list(changes.removed))],
    )


def rename_run(store: Store, runs: Targets, name: str) -> None:
    """Give the run a new display name; the latest rename wins everywhere."""
    name = check_name(name)
    append_edits(store, runs, [lambda: RunRenamed(name=name)])


def add_note(store: Store, runs: Targets, text: str) -> None:
    """Attach a free-text note to the run."""
    if not text.strip():
        raise InvalidValue('a note cannot be empty; e.g. runar note RUN "diverged after warmup"')
    append_edits(store, runs, [lambda: NoteAdded(text=text)])


def move_runs(store: Store, runs: Targets, project: str) -> int:
    """File every run under ``project``; of two moves, the later one wins everywhere."""
    return append_edits(store, runs, [lambda: ProjectSet(project=project)])


def set_summary(store: Store, runs: Targets, values: dict[str, float]) -> None:
    """Set summary values of the run (numbers), over what the run itself reported."""
    append_edits(store, runs, [lambda: SummarySet(values=dict(values))])
