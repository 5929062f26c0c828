"""Home screen: every run, newest first, live; filter, select, compare, delete, edit.

``t``, ``R`` and ``n`` tag, rename and annotate runs through journal/edits.py (as the
CLI does); ``p`` steps through the store's projects and "all".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from runar.errors import InvalidQuery, RunarError
from runar.tui import edits
from runar.tui.catalog import RunEntry
from runar.tui.messages import RunsChanged, RunsLoaded
from runar.tui.screens.confirm import ConfirmScreen
from runar.tui.screens.prompt import PromptScreen
from runar.tui.widgets.filter_bar import FilterBar
from runar.tui.widgets.run_table import FIXED_COLUMNS, TRAILING_COLUMNS, RunTable, sort_value
from runar.views.query_frame import QueryFrames

if TYPE_CHECKING:
    from runar.tui.app import RunarApp

PAGE_ROWS: Final = 200  # rows put in the table at once; more as the cursor nears the end
PAGE_MARGIN: Final = 10
EMPTY_TEXT: Final = (
    "[b]No runs yet[/b] in {root}\n\n"
    "Start your first run with:\n\n"
    "    [b cyan]runar train.py[/]\n\n"
    "[dim]It will appear here as soon as it starts.[/]"
)
LOADING_TEXT: Final = "[dim]loading runs…[/]"
NO_MATCH_TEXT: Final = "[b]No run matches[/b] '{query}'\n\n[dim]Esc clears the filter.[/]"


class RunsScreen(Screen[None]):
    """The runs table with its filter bar and empty state."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("space", "toggle_select", "Select"),
        Binding("c", "compare", "Compare"),
        Binding("d", "delete", "Delete"),
        Binding("D", "delete_all", "Delete all"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse", show=False),
        Binding("t", "tag", "Tag: +add -remove", show=False),
        Binding("R", "rename", "Rename", show=False),
        Binding("n", "note", "Note", show=False),
        Binding("p", "next_project", "Switch project", show=False),
        Binding("w", "sweeps", "Sweeps", show=False),
        Binding("escape", "clear", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.kept: set[str] | None = None  # ids the filter keeps; None: no filter
        self.query_error: str | None = None
        self.query_frames = QueryFrames()  # the filter's frame, kept while the runs are the same
        self.selected: set[str] = set()
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.limit = PAGE_ROWS
        self.shown_entries: list[RunEntry] = []
        self.project: str | None = None  # the project shown; None: every project
        self.project_chosen = False  # set once, when all runs are known or the user picks

    @property
    def runar(self) -> RunarApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LOADING_TEXT, id="empty")
        yield RunTable(id="runs")
        yield FilterBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterBar).display = False
        self.refresh_rows()

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    # -- data -----------------------------------------------------------------------
    def on_runs_loaded(self, message: RunsLoaded) -> None:
        if message.complete and not self.project_chosen:
            app = self.runar
            counts = edits.project_counts(app.entries.values(), app.store)
            self.project, self.project_chosen = edits.initial_project(counts, app.store), True
        self.query_frames.invalidate()
        self.apply_filter()
        self.refresh_rows()
        if self.runar.exit_after_first_paint:
            self.call_after_refresh(self.app.exit)

    def on_runs_changed(self, message: RunsChanged) -> None:
        self.selected -= set(message.removed)
        self.query_frames.invalidate()
        self.apply_filter()
        self.refresh_rows()

    def matching(self) -> list[RunEntry]:
        """Entries passing the filter, in the chosen order (newest first by default)."""
        app = self.runar
        kept, project, store = self.kept, self.project, app.store
        entries = [
            e
            for e in app.ordered()
            if (kept is None or e.run_id in kept)
            and (project is None or edits.project_of(e, store) == project)
        ]
        if self.sort_column is not None:
            now = app.clock()
            column = self.sort_column
            entries.sort(key=lambda e: sort_value(e, column, now), reverse=self.sort_reverse)
        elif self.sort_reverse:
            entries.reverse()
        return entries

    def refresh_rows(self) -> None:
        """Rebuild the visible page from the app's entries."""
        app = self.runar
        entries = self.matching()
        self.shown_entries = entries
        empty = self.query_one("#empty", Static)
        table = self.table
        if not entries:
            if not app.loaded:
                empty.update(LOADING_TEXT)
            elif app.entries:
                empty.update(NO_MATCH_TEXT.format(query=self.query_text))
            else:
                empty.update(EMPTY_TEXT.format(root=app.store_label))
            empty.display = True
            table.display = False
            table.clear()
            self._update_title()
            return
        empty.display = False
        table.display = True
        table.show(
            entries[: self.limit],
            app.numbers,
            app.metric_keys,
            self.selected,
            app.clock(),
        )
        self._update_title()

    def _update_title(self) -> None:
        app = self.runar
        shown = len(self.shown_entries)
        parts = [f"{app.total} runs" if app.loaded else "loading…"]
        if self.project is not None:
            parts.append(f"project {self.project}")
        if self.kept is not None or self.project is not None:
            parts.append(f"{shown} shown")
        if self.query_error:
            parts.append(self.query_error)
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.sub_title = f"{app.store_label} · " + " · ".join(parts)

    @on(DataTable.RowHighlighted)
    def _maybe_next_page(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.limit - PAGE_MARGIN and len(self.shown_entries) > self.limit:
            self.limit += PAGE_ROWS
            self.refresh_rows()

    @on(DataTable.HeaderSelected)
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        column = "" if column == "sel" else column
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column not in ("name", "tags")
        self.refresh_rows()

    # -- actions --------------------------------------------------------------------
    def action_cursor_down(self) -> None:
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.table.action_cursor_up()

    @on(DataTable.RowSelected)
    def _row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        run_id = self.table.current_run_id
        if run_id is not None and run_id in self.runar.entries:
            from runar.tui.screens.run_detail import RunDetailScreen

            self.app.push_screen(RunDetailScreen(run_id))

    def action_sweeps(self) -> None:
        from runar.tui.screens.sweeps import SweepsScreen

        self.app.push_screen(SweepsScreen())

    def action_toggle_select(self) -> None:
        run_id = self.table.current_run_id
        if run_id is None:
            return
        self.selected ^= {run_id}
        row = self.table.cursor_row
        self.refresh_rows()
        self.table.move_cursor(row=min(row + 1, self.table.row_count - 1))

    def action_compare(self) -> None:
        chosen = [e.run_id for e in self.shown_entries if e.run_id in self.selected]
        chosen += sorted(self.selected - set(chosen) & set(self.runar.entries))
        if len(chosen) < 2:
            self.notify("select two or more runs with Space, then press c", severity="warning")
            return
        from runar.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(chosen))

    def action_delete(self) -> None:
        run_id = self.table.current_run_id
        entry = self.runar.entries.get(run_id or "")
        if entry is None:
            return
        label = entry.summary.display_name or entry.run_id
        question = f"Delete run [b]{label}[/b] ({entry.run_id})?\nIts log and artifacts go too."
        self._confirm(question, [entry.run_id])

    def action_delete_all(self) -> None:
        ids = [e.run_id for e in self.shown_entries]
        if not ids:
            return
        which = "all" if self.kept is None else "all shown"
        question = f"Delete {which} [b]{len(ids)}[/b] runs?\nTheir logs and artifacts are removed."
        self._confirm(question, ids)

    def _confirm(self, question: str, run_ids: list[str]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.selected -= set(run_ids)
                self.runar.delete_runs(run_ids)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.apply_filter()
        self.limit = PAGE_ROWS
        self.refresh_rows()

    def apply_filter(self) -> None:
        """Select runs with the query language of `runar ls --where` (views/query.py).

        A query that does not parse yet (``lr<`` while typing) keeps the last selection
        and shows why in the title and on the filter bar.
        """
        bar = self.query_one(FilterBar)
        if not self.query_text.strip():
            self.kept, self.query_error = None, None
            bar.remove_class("-invalid")
            return
        from runar.projects import store_project

        app = self.runar
        try:
            ids = self.query_frames.select(
                lambda: [(e.summary, e.status) for e in app.ordered()],
                self.query_text,
                now_ns=int(app.clock() * 1e9),
                default_project=store_project(app.store.root),
            )
        except InvalidQuery as exc:
            self.query_error = str(exc)
            bar.add_class("-invalid")
            return
        self.kept, self.query_error = set(ids), None
        bar.remove_class("-invalid")

    @on(Input.Submitted, "#filter")
    def _filter_done(self, _: Input.Submitted) -> None:
        if not self.query_text:
            self.query_one(FilterBar).display = False
        self.table.focus()

    def action_clear(self) -> None:
        bar = self.query_one(FilterBar)
        if self.query_text or bar.display:
            bar.action_dismiss()
            self.table.focus()
        elif self.selected:
            self.selected.clear()
            self.refresh_rows()

    def action_sort(self) -> None:
        columns = [c for c in (*FIXED_COLUMNS[1:], *self.runar.metric_keys, *TRAILING_COLUMNS)]
        current = self.sort_column if self.sort_column in columns else None
        nxt = columns[(columns.index(current) + 1) % len(columns)] if current else columns[1]
        self.sort_column, self.sort_reverse = nxt, nxt not in ("name", "tags")
        self.notify(f"sorted by {nxt}", timeout=1.5)
        self.refresh_rows()

    # -- edits and projects -------------------------------------------------------------
    def _edit_targets(self, selected_too: bool) -> list[RunEntry]:
        """The selected runs (when the edit allows several), else the run under the cursor."""
        entries = self.runar.entries
        if selected_too and self.selected:
            return [entries[i] for i in sorted(self.selected) if i in entries]
        entry = entries.get(self.table.current_run_id or "")
        return [entry] if entry is not None else []

    def _ask(
        self, kind: edits.EditKind, targets: list[RunEntry], question: str, value: str = ""
    ) -> None:
        if not targets:
            self.notify("no run under the cursor", severity="warning")
            return

        def answered(text: str | None) -> None:
            if text is not None and text.strip():
                self._write_edit(kind, targets, text)

        placeholder = "+best -baseline" if kind == "tag" else ""
        self.app.push_screen(PromptScreen(question, value, placeholder), answered)

    def action_tag(self) -> None:
        targets = self._edit_targets(selected_too=True)
        label = self._label(targets)
        self._ask("tag", targets, f"Tags for {label} ([b]+tag[/b] adds, [b]-tag[/b] removes)")

    def action_rename(self) -> None:
        targets = self._edit_targets(selected_too=False)
        name = targets[0].summary.display_name if targets else ""
        self._ask("rename", targets, f"New name for {self._label(targets)}", name)

    def action_note(self) -> None:
        targets = self._edit_targets(selected_too=False)
        self._ask("note", targets, f"Note for {self._label(targets)}")

    @staticmethod
    def _label(targets: list[RunEntry]) -> str:
        if len(targets) == 1:
            return f"[b]{targets[0].summary.display_name or targets[0].run_id}[/b]"
        return f"[b]{len(targets)} selected runs[/b]"

    @work(thread=True, group="edit")
    def _write_edit(self, kind: edits.EditKind, targets: list[RunEntry], text: str) -> None:
        app = self.runar
        try:
            done = edits.apply_edit(app.store, targets, kind, text)
        except RunarError as exc:
            app.call_from_thread(self.notify, str(exc), severity="error")
            return
        app.sync()  # the edited runs come back through RunsChanged
        app.call_from_thread(self.notify, done, timeout=2)

    def action_next_project(self) -> None:
        app = self.runar
        counts = edits.project_counts(app.entries.values(), app.store)
        self.project = edits.next_project(self.project, counts)
        self.project_chosen = True
        shown = "all projects" if self.project is None else f"project {self.project}"
        count = len(app.entries) if self.project is None else counts.get(self.project, 0)
        self.notify(f"{shown} ({count} runs)", timeout=1.5)
        self.limit = PAGE_ROWS
        self.refresh_rows()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_rows()
