"""The sweeps (`w` on the runs screen): every `runar sweep`, and the chosen one's points.

The upper table lists sweeps; the lower one shows the highlighted sweep's points, one
row each — swept values, status, the ranking metric and the others, the run — with the
best marked ★. Enter on a point opens its run. Data comes from runar.sweep.overview in
a worker, under the dashboard's index lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from runar.display import duration, key_metrics, number, status_text

if TYPE_CHECKING:
    from runar.tui.app import RunarApp

MAX_METRICS: Final = 4
BEST: Final = "★"


class SweepsLoaded(Message):
    def __init__(self, sweeps: list[dict[str, Any]]) -> None:
        super().__init__()
        self.sweeps = sweeps


class SweepLoaded(Message):
    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__()
        self.detail = detail


def point_rows(detail: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Headers, and (run id, cells) per point: ★, #, swept values, status, metrics, time."""
    options = list(detail["space"])
    metrics = key_metrics((p["metrics"] for p in detail["points"]), limit=MAX_METRICS)
    if detail["metric"] and detail["metric"] not in metrics:
        metrics = [detail["metric"], *metrics[: MAX_METRICS - 1]]
    headers = ["", "#", *(o.lstrip("-") for o in options), "status", *metrics, "time"]
    rows = [
        (
            p["run_id"] or "",
            [
                BEST if p["best"] else "",
                str(p["index"]),
                *(p["params"].get(o, "—") for o in options),
                status_text(p["status"]),
                *(number(p["metrics"].get(k)) for k in metrics),
                duration(p["duration_s"]),
            ],
        )
        for p in detail["points"]
    ]
    return headers, rows


class SweepsScreen(Screen[None]):
    """Sweeps above, the highlighted sweep's points below."""

    DEFAULT_CSS = """
    SweepsScreen #sweeps { height: 35%; }
    SweepsScreen #sweep-points { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("tab", "focus_next", "Sweeps/points", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sweep_ids: list[str] = []
        self.detail: dict[str, Any] | None = None

    @property
    def runar(self) -> RunarApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="sweeps", cursor_type="row")
        yield Static("", id="sweep-title", classes="bar")
        yield DataTable(id="sweep-points", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "sweeps"
        sweeps = self.query_one("#sweeps", DataTable)
        sweeps.add_columns("name", "status", "points", "script", "space")
        self._load_sweeps()

    @work(thread=True, exclusive=True, group="sweeps")
    def _load_sweeps(self) -> None:
        from runar.sweep.overview import list_sweeps
        from runar.tui.catalog import INDEX_LOCK

        with INDEX_LOCK:
            found = list_sweeps(self.runar.store)
        self.post_message(SweepsLoaded(found))

    @work(thread=True, exclusive=True, group="sweep")
    def _load_sweep(self, sweep_id: str) -> None:
        from runar.sweep.overview import sweep_detail
        from runar.tui.catalog import INDEX_LOCK

        with INDEX_LOCK:
            found = sweep_detail(self.runar.store, sweep_id)
        self.post_message(SweepLoaded(found))

    def on_sweeps_loaded(self, message: SweepsLoaded) -> None:
        table = self.query_one("#sweeps", DataTable)
        table.clear()
        self.sweep_ids = [s["id"] for s in message.sweeps]
        for s in message.sweeps:
            done = s["counts"].get("completed", 0)
            space = " ".join(f"{k} {v}" for k, v in s["space"].items())
            table.add_row(
                s["name"], s["status"], f"{done}/{s['points']}", s["script"] or "", space,
                key=s["id"],
            )  # fmt: skip
        if not self.sweep_ids:
            self.query_one("#sweep-title", Static).update(
                "no sweeps yet — start one with: runar sweep train.py --lr 1e-3,1e-4"
            )
            return
        table.focus()
        self._load_sweep(self.sweep_ids[0])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "sweeps" and event.row_key.value in self.sweep_ids:
            self._load_sweep(str(event.row_key.value))

    def on_sweep_loaded(self, message: SweepLoaded) -> None:
        detail = self.detail = message.detail
        best = detail["best"]
        title = f"{detail['name']}: {detail['status']}, {len(detail['points'])} points"
        if best is not None and detail["metric"]:
            title += f" · best {detail['metric']} {number(best['value'])} ({detail['mode']})"
        self.query_one("#sweep-title", Static).update(title)
        headers, rows = point_rows(detail)
        table = self.query_one("#sweep-points", DataTable)
        table.clear(columns=True)
        table.add_columns(*headers)
        for run_id, cells in rows:
            table.add_row(*cells, key=run_id or None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a point opens its run; on a sweep, moves to its points."""
        if event.data_table.id == "sweeps":
            self.query_one("#sweep-points", DataTable).focus()
            return
        run_id = event.row_key.value
        if run_id and run_id in self.runar.entries:
            from runar.tui.screens.run_detail import RunDetailScreen

            self.app.push_screen(RunDetailScreen(str(run_id)))
