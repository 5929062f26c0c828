"""Messages workers post to the UI thread."""

from __future__ import annotations

from textual.message import Message

from runar.tui.catalog import RunEntry


class RunsLoaded(Message, bubble=False):
    """A page (or all) of the runs as the index holds them."""

    def __init__(self, entries: list[RunEntry], total: int, complete: bool) -> None:
        super().__init__()
        self.entries = entries
        self.total = total
        self.complete = complete


class RunsChanged(Message, bubble=False):
    """A catch-up changed these runs and dropped those; screens refresh what they show."""

    def __init__(self, changed: dict[str, RunEntry], removed: list[str]) -> None:
        super().__init__()
        self.changed = changed
        self.removed = removed
