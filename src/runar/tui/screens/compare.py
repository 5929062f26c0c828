"""Runs side by side: overlaid charts, differing config and command lines, final metric deltas."""

from __future__ import annotations

import math
import shlex
from typing import TYPE_CHECKING, Any, ClassVar, Final

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from runar.ids import short
from runar.tui import format as fmt
from runar.tui.catalog import RunEntry
from runar.tui.series import Series, split
from runar.tui.widgets.metric_chart import Line, MetricChart, View, colour

if TYPE_CHECKING:
    from runar.tui.app import RunarApp

ZOOMS: Final = (None, 100, 1_000, 10_000)
SMOOTHING: Final = (0.0, 0.6, 0.9, 0.99)
MISSING: Final = "—"


class CompareLoaded(Message):
    """Series of every compared run."""

    def __init__(self, series: dict[str, dict[str, Series]]) -> None:
        super().__init__()
        self.series = series


def label(entry: RunEntry) -> str:
    return entry.summary.display_name or short(entry.run_id)


def differing_config(entries: list[RunEntry]) -> list[tuple[str, list[Any]]]:
    """Config keys whose value is not the same in every run (absent counts as different)."""
    configs = [e.summary.config_values() for e in entries]
    keys = sorted(set().union(*configs))
    rows = []
    for key in keys:
        values = [c.get(key, MISSING) for c in configs]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, values))
    return rows


def command_lines(entries: list[RunEntry]) -> list[str] | None:
    """Each run's script and arguments as one line, or None when they are all the same."""
    argvs = [e.summary.started.argv if e.summary.started else [] for e in entries]
    if all(argv == argvs[0] for argv in argvs[1:]):
        return None
    return [shlex.join(argv) if argv else MISSING for argv in argvs]


def delta_text(value: float | None, base: float | None) -> Text:
    """The value, and its difference from the first run's."""
    if value is None:
        return Text(MISSING, style="dim")
    text = Text(fmt.number(value))
    if base is not None and not (math.isnan(value) or math.isnan(base)) and value != base:
        diff = value - base
        text.append(f" ({fmt.signed(diff)})", style="green" if diff > 0 else "red")
    return text


class CompareScreen(Screen[None]):
    """Charts, config and final metrics of the selected runs; the first is the baseline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("backspace", "back", "Back", show=False),
        Binding("1", "tab('charts')", "Charts", show=False),
        Binding("2", "tab('config')", "Config", show=False),
        Binding("3", "tab('final')", "Final", show=False),
        Binding("x", "x_axis", "Step/time"),
        Binding("z", "zoom", "Zoom"),
        Binding("m", "smoothing", "Smooth"),
    ]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = run_ids
        self.view = View()
        self.series: dict[str, dict[str, Series]] = {}

    @property
    def runar(self) -> RunarApp:
        return self.app  # type: ignore[return-value]

    @property
    def entries(self) -> list[RunEntry]:
        known = self.runar.entries
        return [known[r] for r in self.run_ids if r in known]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="legend", classes="bar")
        with TabbedContent(id="compare-tabs"):
            with TabPane("Charts", id="charts"):
                yield Static(self.view.describe, id="chart-view", classes="bar")
                yield VerticalScroll(id="compare-charts")
            with TabPane("Config", id="config"):
                yield DataTable(id="config-table", zebra_stripes=True)
            with TabPane("Final metrics", id="final"):
                yield DataTable(id="final-table", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"comparing {len(self.run_ids)} runs"
        self._fill_tables()
        self._load()

    @work(thread=True, exclusive=True, group="compare")
    def _load(self) -> None:
        frame = self.runar.catalog.metrics(self.run_ids)
        self.post_message(CompareLoaded(split(frame)))

    def on_compare_loaded(self, message: CompareLoaded) -> None:
        self.series = message.series
        self._draw()

    def _fill_tables(self) -> None:
        entries = self.entries
        legend = Text("runs: ")
        for i, entry in enumerate(entries):
            legend.append(f"━━ {label(entry)} ", style=_rich_colour(i))
        legend.append(" (first is the baseline for deltas)", style="dim")
        self.query_one("#legend", Static).update(legend)
        headers = [label(e) for e in entries]
        config = self.query_one("#config-table", DataTable)
        config.clear(columns=True)
        config.add_columns("key", *headers)
        lines = command_lines(entries)
        if lines is not None:  # shown even when the config is equal: never "the same"
            config.add_row(Text("command line", style="bold"), *lines)
        diff = differing_config(entries)
        for key, values in diff:
            config.add_row(key, *[MISSING if v == MISSING else repr(v) for v in values])
        if not diff:
            words = "the config is the same in every run"
            same = Text(words if lines is None else f"{words}; the arguments differ", style="dim")
            config.add_row(same, *[""] * len(headers))
        final = self.query_one("#final-table", DataTable)
        final.clear(columns=True)
        final.add_columns("metric", *headers)
        lasts = [e.summary.last_metrics() for e in entries]
        for key in sorted(set().union(*lasts)):
            base = lasts[0].get(key)
            final.add_row(key, *[delta_text(last.get(key), base) for last in lasts])

    def _draw(self) -> None:
        box = self.query_one("#compare-charts", VerticalScroll)
        self.query_one("#chart-view", Static).update(self.view.describe)
        entries = self.entries
        per_run = [self.series.get(e.run_id, {}) for e in entries]
        shared = sorted(set.intersection(*(set(s) for s in per_run))) if per_run else []
        if not shared:
            if not box.children:
                box.mount(Static("[dim]these runs share no metric[/]"))
            return
        charts = {c.chart_title: c for c in box.query(MetricChart)}
        for key in shared:
            chart = charts.get(key)
            if chart is None:
                chart = MetricChart(key, classes="chart")
                box.mount(chart)
            lines = [
                Line(label(e), s[key].xs(self.view.by_time), s[key].values)
                for e, s in zip(entries, per_run, strict=True)
            ]
            chart.draw(lines, self.view, legend=True)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def _redraw(self, view: View) -> None:
        self.view = view
        self.query_one(TabbedContent).active = "charts"
        self._draw()

    def action_x_axis(self) -> None:
        v = self.view
        self._redraw(View(not v.by_time, v.zoom, v.smoothing))

    def action_zoom(self) -> None:
        v = self.view
        self._redraw(View(v.by_time, ZOOMS[(ZOOMS.index(v.zoom) + 1) % len(ZOOMS)], v.smoothing))

    def action_smoothing(self) -> None:
        v = self.view
        nxt = SMOOTHING[(SMOOTHING.index(v.smoothing) + 1) % len(SMOOTHING)]
        self._redraw(View(v.by_time, v.zoom, nxt))


def _rich_colour(i: int) -> str:
    name = colour(i)
    return {"orange": "dark_orange"}.get(name, name)
