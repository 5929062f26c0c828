"""RunarApp: the live dashboard `runar` opens with no arguments."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Final

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from runar import __version__
from runar.store import Store
from runar.tui.catalog import Catalog, Changes, RunEntry
from runar.tui.messages import RunsChanged, RunsLoaded
from runar.tui.screens.help import HelpScreen, describe
from runar.tui.screens.runs import RunsScreen
from runar.tui.watch import watch_store
from runar.tui.widgets.run_table import key_metrics

FIRST_PAGE: Final = 100  # rows read before the first paint; the rest follow in the background
ENV_EXIT_AFTER_PAINT: Final = "RUNAR_TUI_EXIT_AFTER_PAINT"  # benchmarks: quit once rows show

Clock = Callable[[], float]
Opener = Callable[[Path], None]


def open_with_system_viewer(path: Path) -> None:
    """Hand a file to the desktop's viewer without waiting for it."""
    command = ["open", str(path)] if sys.platform == "darwin" else ["xdg-open", str(path)]
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise OSError(f"cannot open {path}: {command[0]} is not available ({exc})") from exc


class RunarApp(App[None]):
    """Runs list, details and compare screens over one store, kept live by file events."""

    CSS_PATH = "runar.tcss"
    TITLE = f"runar {__version__}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        store: Store,
        clock: Clock = time.time,
        open_file: Opener = open_with_system_viewer,
        watch: bool = True,
        exit_after_first_paint: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self.store_label = str(store.root)  # tests pin it so pictures do not name a tmp dir
        self.catalog = Catalog(store)
        self.clock = clock
        self.open_file = open_file
        self.watch = watch
        self.exit_after_first_paint = exit_after_first_paint
        self.entries: dict[str, RunEntry] = {}
        self.numbers: dict[str, int] = {}
        self.metric_keys: list[str] = []
        self.total = 0
        self.loaded = False
        self.complete = False
        self._stop = threading.Event()

    def on_mount(self) -> None:
        self.sub_title = self.store_label
        self.push_screen(RunsScreen())
        self._load()

    def on_unmount(self) -> None:
        self._stop.set()

    # -- data -----------------------------------------------------------------------
    def ordered(self) -> list[RunEntry]:
        """Every known run, newest first."""
        return sorted(
            self.entries.values(),
            key=lambda e: (e.summary.created_ts, e.run_id),
            reverse=True,
        )

    def _renumber(self) -> None:
        oldest_first = self.ordered()[::-1]
        offset = max(0, self.total - len(oldest_first))
        self.numbers = {e.run_id: offset + i + 1 for i, e in enumerate(oldest_first)}
        self.metric_keys = key_metrics(oldest_first)

    @work(thread=True, group="load")
    def _load(self) -> None:
        entries, total = self.catalog.page(FIRST_PAGE)
        self.post_message(RunsLoaded(entries, total, complete=False))
        if self.exit_after_first_paint:
            return  # measuring time to first paint: the rest would only delay the exit
        if self.watch:
            self._watch()
        self.sync()
        entries, total = self.catalog.page(None)
        self.post_message(RunsLoaded(entries, total, complete=True))

    @work(thread=True, group="watch")
    def _watch(self) -> None:
        watch_store(self.store, self._stop, self.sync)

    def sync(self) -> None:
        """Catch up with the log and tell the screens what changed (worker threads only)."""
        changes = self.catalog.catch_up()
        if changes.changed or changes.removed:
            self.post_message(RunsChanged(changes.changed, changes.removed))

    @work(thread=True, group="delete")
    def delete_runs(self, run_ids: list[str]) -> None:
        changes: Changes = self.catalog.delete(run_ids)
        self.post_message(RunsChanged(changes.changed, changes.removed))

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        if message.complete:
            self.entries = {e.run_id: e for e in message.entries}
        else:
            self.entries.update({e.run_id: e for e in message.entries})
        self.total = max(message.total, len(self.entries))
        first = not self.loaded
        self.loaded = True
        self.complete = message.complete
        self._renumber()
        self._forward(RunsLoaded(message.entries, message.total, message.complete))
        if first and self.exit_after_first_paint:
            self.call_after_refresh(self.exit)

    def on_runs_changed(self, message: RunsChanged) -> None:
        for run_id in message.removed:
            self.entries.pop(run_id, None)
        self.entries.update(message.changed)
        self.total = len(self.entries) if self.complete else max(self.total, len(self.entries))
        self._renumber()
        self._forward(RunsChanged(message.changed, message.removed))

    def _forward(self, message: RunsLoaded | RunsChanged) -> None:
        for screen in self.screen_stack:
            screen.post_message(
                RunsChanged(message.changed, message.removed)
                if isinstance(message, RunsChanged)
                else RunsLoaded(message.entries, message.total, message.complete)
            )

    # -- actions --------------------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = describe(self.screen, [b for b in self.BINDINGS if isinstance(b, Binding)])
        self.push_screen(HelpScreen(f"Keys — {type(self.screen).__name__[:-6]}", rows))


def run(store: Store) -> None:
    """Open the dashboard on ``store`` until the user quits."""
    exit_early = bool(os.environ.get(ENV_EXIT_AFTER_PAINT))
    app = RunarApp(store, exit_after_first_paint=exit_early, watch=not exit_early)
    app.run(headless=exit_early)
