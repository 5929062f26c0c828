"""One run in depth: Overview, Metrics, Steps, Artifacts, Logs and System tabs, live."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Log, Static, TabbedContent, TabPane

from runar.tui import format as fmt
from runar.tui.catalog import RunEntry
from runar.tui.messages import RunsChanged
from runar.tui.run_log import LogDelta, RunLog
from runar.tui.series import Series, split
from runar.tui.widgets.artifact_preview import preview
from runar.tui.widgets.metric_chart import Line, MetricChart, View, anomaly_marks
from runar.tui.widgets.overview import overview
from runar.tui.widgets.reproducibility import reproducibility

if TYPE_CHECKING:
    from runar.tui.app import RunarApp

TABS: Final = ("overview", "metrics", "steps", "artifacts", "logs", "system")
ZOOMS: Final = (None, 100, 1_000, 10_000)
SMOOTHING: Final = (0.0, 0.6, 0.9, 0.99)
RELOAD_EVERY_S: Final = 0.5  # a live run changes 10x a second; charts need not redraw as often
MAX_LOG_LINES: Final = 100_000
MB: Final = 1_000_000


class DetailLoaded(Message):
    """Series and new raw events of the run, read by a worker."""

    def __init__(self, series: dict[str, Series], delta: LogDelta) -> None:
        super().__init__()
        self.series = series
        self.delta = delta


class RunDetailScreen(Screen[None]):
    """Tabs about one run; follows it while it runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("backspace", "back", "Back", show=False),
        *[Binding(str(i + 1), f"tab('{t}')", t.title(), show=False) for i, t in enumerate(TABS)],
        Binding("x", "x_axis", "Step/time"),
        Binding("z", "zoom", "Zoom"),
        Binding("m", "smoothing", "Smooth"),
        Binding("o", "open_artifact", "Open"),
        Binding("slash", "search", "Search logs"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.view = View()
        self.series: dict[str, Series] = {}
        self.system: list[tuple[float, object]] = []
        self.log_lines: list[str] = []
        self._partial = ""
        self.deleted = False
        self._last_load = 0.0
        self._reload_timer_set = False
        self._run_log: RunLog | None = None

    @property
    def runar(self) -> RunarApp:
        return self.app  # type: ignore[return-value]

    @property
    def entry(self) -> RunEntry:
        return self._entry

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            with TabPane("Overview", id="overview"), VerticalScroll():
                yield Static(id="overview-text")
                yield Static(id="reproducibility-text")
            with TabPane("Metrics", id="metrics"):
                yield Static(self.view.describe, id="chart-view", classes="bar")
                yield VerticalScroll(id="charts")
            with TabPane("Steps", id="steps"):
                yield DataTable(id="steps-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Artifacts", id="artifacts"), Vertical():
                yield DataTable(id="artifacts-table", cursor_type="row")
                with VerticalScroll(id="preview-box"):
                    yield Static(id="preview")
            with TabPane("Logs", id="logs"):
                yield Input(placeholder="search the output (Enter)", id="log-search")
                yield Log(id="log", max_lines=MAX_LOG_LINES, auto_scroll=True)
            with TabPane("System", id="system"):
                yield VerticalScroll(id="system-charts")
        yield Footer()

    def on_mount(self) -> None:
        self._entry = self.runar.entries[self.run_id]
        self._run_log = RunLog(self.runar.store.run_dir(self.run_id))
        self.query_one("#log-search").display = False
        name = self._entry.summary.display_name or self.run_id
        self.sub_title = f"{name} · {self.run_id}"
        self._show_entry()
        self._load()

    # -- loading --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="detail")
    def _load(self) -> None:
        assert self._run_log is not None
        frame = self.runar.catalog.metrics([self.run_id])
        start = self._entry.summary.created_ts or None
        series = split(frame, start_ns=start).get(self.run_id, {})
        self.post_message(DetailLoaded(series, self._run_log.poll()))

    def on_runs_changed(self, message: RunsChanged) -> None:
        if self.run_id in message.removed:
            self.deleted = True
            self.notify("this run was deleted", severity="warning")
            self._show_entry()
            return
        fresh = message.changed.get(self.run_id)
        if fresh is None:
            return
        self._entry = fresh
        self._show_entry()
        wait = RELOAD_EVERY_S - (time.monotonic() - self._last_load)
        if wait <= 0:
            self._last_load = time.monotonic()
            self._load()
        elif not self._reload_timer_set:
            self._reload_timer_set = True
            self.set_timer(wait, self._timed_reload)

    def _timed_reload(self) -> None:
        self._reload_timer_set = False
        self._last_load = time.monotonic()
        self._load()

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.series = message.series
        self._draw_metrics()
        self._append_logs(message.delta)
        if message.delta.system:
            origin = self._entry.summary.created_ts
            self.system += [((e.ts - origin) / fmt.NS, e) for e in message.delta.system]
        self._draw_system()

    # -- tabs -----------------------------------------------------------------------
    def _show_entry(self) -> None:
        now = self.runar.clock()
        self.query_one("#overview-text", Static).update(overview(self._entry, now, self.deleted))
        family = reproducibility(self.runar.entries, self.run_id)  # empty outside a rerun family
        self.query_one("#reproducibility-text", Static).update(family)
        self._fill_steps()
        self._fill_artifacts()

    def _draw_metrics(self) -> None:
        box = self.query_one("#charts", VerticalScroll)
        self.query_one("#chart-view", Static).update(self.view.describe)
        keys = sorted(self.series)
        if not keys:
            if not box.children:
                box.mount(Static("[dim]no metrics logged[/]", classes="placeholder"))
            return
        for placeholder in box.query(".placeholder"):
            placeholder.remove()
        charts = {c.chart_title: c for c in box.query(MetricChart)}
        flagged = [a for a in self._entry.summary.anomalies if a.level != "info"]
        for key in keys:
            chart = charts.get(key)
            if chart is None:
                chart = MetricChart(key, classes="chart")
                box.mount(chart)
            s = self.series[key]
            xs = s.xs(self.view.by_time)
            at = [a.first_step for a in flagged if a.key == key and a.first_step is not None]
            marks = anomaly_marks(s.steps, xs, s.values, at) if at else []
            chart.draw([Line(key, xs, s.values, marks)], self.view)

    def _fill_steps(self) -> None:
        table = self.query_one("#steps-table", DataTable)
        table.clear(columns=True)
        table.add_columns("step", "status", "start", "duration", "metrics", "artifacts")
        summary = self._entry.summary
        origin = summary.created_ts
        steps = sorted(summary.steps.values(), key=lambda s: (s.started_ts or 0, s.step_id))
        depth: dict[str, int] = {}
        for step in steps:
            depth[step.step_id] = depth.get(step.parent or "", -1) + 1 if step.parent else 0
            indent = "  " * depth[step.step_id]
            glyph, colour = fmt.STATUS_GLYPHS.get(step.status, ("?", "white"))
            offset = (step.started_ts - origin) / fmt.NS if step.started_ts else None
            start = "—" if offset is None else f"+{fmt.duration(offset)}"
            took = (
                fmt.duration((step.ended_ts - step.started_ts) / fmt.NS)
                if step.started_ts and step.ended_ts
                else "—"
            )
            status = f"[{colour}]{glyph} {step.status}[/]"
            if step.error:
                status += f" [red]{step.error_type or ''}[/]"
            table.add_row(
                indent + (step.name or step.step_id),
                status,
                start,
                took,
                ", ".join(step.metric_keys) or "—",
                ", ".join(step.artifacts) or "—",
            )
        if not steps:
            table.add_row("[dim]no workflow steps[/]", "", "", "", "", "")

    def _fill_artifacts(self) -> None:
        table = self.query_one("#artifacts-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns("name", "kind", "size", "sha256", "step")
        artifacts = sorted(self._entry.summary.artifacts.values(), key=lambda a: a.name)
        for a in artifacts:
            table.add_row(
                a.name, a.kind, fmt.size(a.size), a.sha256[:12], a.workflow_step or "", key=a.name
            )
        if artifacts:
            table.move_cursor(row=min(keep, len(artifacts) - 1))
            self._show_preview(artifacts[min(keep, len(artifacts) - 1)].name)
        else:
            self.query_one("#preview", Static).update("[dim]no artifacts[/]")

    @on(DataTable.RowHighlighted, "#artifacts-table")
    def _artifact_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_preview(event.row_key.value)

    def _show_preview(self, name: str) -> None:
        artifact = self._entry.summary.artifacts.get(name)
        if artifact is None:
            return
        path = self.runar.store.artifacts_dir(self.run_id) / artifact.path
        self.query_one("#preview", Static).update(preview(artifact, path))

    def _append_logs(self, delta: LogDelta) -> None:
        if not delta.output:
            if not self.log_lines and not self._partial:
                log = self.query_one("#log", Log)
                if not log.line_count:
                    log.write_line("(no output captured)")
            return
        text = self._partial + "".join(e.content() for e in delta.output)
        lines = text.split("\n")
        self._partial = lines.pop()
        if not self.log_lines:
            self.query_one("#log", Log).clear()
        self.log_lines += lines
        needle = self.query_one("#log-search", Input).value.lower()
        shown = [ln for ln in lines if needle in ln.lower()] if needle else lines
        self.query_one("#log", Log).write_lines(shown)

    def _draw_system(self) -> None:
        box = self.query_one("#system-charts", VerticalScroll)
        if not self.system:
            if not box.children:
                box.mount(Static("[dim]no system samples[/]"))
            return
        from runar.events import SystemSampled

        samples = [(t, e) for t, e in self.system if isinstance(e, SystemSampled)]
        xs = [t for t, _ in samples]
        charts: dict[str, list[Line]] = {
            "CPU %": [Line("cpu", xs, [e.cpu_percent for _, e in samples])],
            "RSS MB": [Line("rss", xs, [e.rss_bytes / MB for _, e in samples])],
        }
        gpu_ids = sorted({g.index for _, e in samples for g in e.gpus})
        for gpu in gpu_ids:
            gpus = [(t, g) for t, e in samples for g in e.gpus if g.index == gpu]
            util = [(t, g.util_percent) for t, g in gpus if g.util_percent is not None]
            mem = [(t, g.mem_used / MB) for t, g in gpus if g.mem_used is not None]
            for title, points in (("GPU util %", util), ("GPU memory MB", mem)):
                line = Line(f"gpu{gpu}", [t for t, _ in points], [float(v) for _, v in points])
                charts.setdefault(title, []).append(line)
        existing = {c.chart_title: c for c in box.query(MetricChart)}
        if not existing:
            box.remove_children()
        view = View(by_time=True)
        for title, lines in charts.items():
            chart = existing.get(title)
            if chart is None:
                chart = MetricChart(title, classes="chart")
                box.mount(chart)
            chart.draw(lines, view, legend=len(lines) > 1)

    # -- actions --------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def _redraw_view(self, view: View) -> None:
        self.view = view
        self.query_one(TabbedContent).active = "metrics"
        self._draw_metrics()

    def action_x_axis(self) -> None:
        v = self.view
        self._redraw_view(View(not v.by_time, v.zoom, v.smoothing))

    def action_zoom(self) -> None:
        v = self.view
        nxt = ZOOMS[(ZOOMS.index(v.zoom) + 1) % len(ZOOMS)]
        self._redraw_view(View(v.by_time, nxt, v.smoothing))

    def action_smoothing(self) -> None:
        v = self.view
        nxt = SMOOTHING[(SMOOTHING.index(v.smoothing) + 1) % len(SMOOTHING)]
        self._redraw_view(View(v.by_time, v.zoom, nxt))

    def action_open_artifact(self) -> None:
        table = self.query_one("#artifacts-table", DataTable)
        self.query_one(TabbedContent).active = "artifacts"
        if not self._entry.summary.artifacts or not table.row_count:
            self.notify("this run has no artifacts", severity="warning")
            return
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        artifact = self._entry.summary.artifacts.get(name or "")
        if artifact is None:
            return
        path = self.runar.store.artifacts_dir(self.run_id) / artifact.path
        try:
            self.runar.open_file(path)
        except OSError as exc:
            self.notify(str(exc), severity="error")

    def action_search(self) -> None:
        self.query_one(TabbedContent).active = "logs"
        box = self.query_one("#log-search", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#log-search")
    def _search(self, event: Input.Submitted) -> None:
        needle = event.value.lower()
        log = self.query_one("#log", Log)
        log.clear()
        lines = [ln for ln in self.log_lines if needle in ln.lower()] if needle else self.log_lines
        log.write_lines(lines)
        if needle:
            self.notify(f"{len(lines)} line(s) match '{event.value}'", timeout=2)
        log.focus()
