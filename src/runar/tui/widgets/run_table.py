"""The runs table: one row per run, the metric columns most runs share, rebuilt in pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Final

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from runar import display
from runar.ids import short
from runar.tui import format as fmt
from runar.tui.catalog import RunEntry
from runar.views import liveness

MAX_METRIC_COLUMNS: Final = 3
NAME_WIDTH: Final = 24
TAGS_WIDTH: Final = 20
FIXED_COLUMNS: Final = ("", "#", "name", "status")
TRAILING_COLUMNS: Final = ("duration", "created", "tags")
WARNING: Final = "⚠ "
SELECTED: Final = "■"


def key_metrics(entries: Iterable[RunEntry], limit: int = MAX_METRIC_COLUMNS) -> list[str]:
    """The metric keys most runs share, most common first, then by name."""
    return display.key_metrics((e.summary.metrics for e in entries), limit)


def run_seconds(entry: RunEntry, now_s: float) -> float | None:
    """How long the run lasted, or has lasted so far; a crashed run ends at its last event."""
    return liveness.run_seconds(entry.summary, entry.status, int(now_s * fmt.NS))


def sort_value(entry: RunEntry, column: str, now_s: float) -> Any:
    """What a column sorts by; missing values sort last via the leading flag."""
    summary = entry.summary
    value: Any
    if column in ("#", "created", ""):
        value = summary.created_ts
    elif column == "name":
        value = summary.display_name.lower()
    elif column == "status":
        value = entry.status
    elif column == "duration":
        value = run_seconds(entry, now_s)
    elif column == "tags":
        value = ",".join(summary.tag_list())
    else:
        metric = summary.metrics.get(column)
        value = metric.last if metric is not None else None
    return (value is None, value if value is not None else 0)


def anomaly_marker(entry: RunEntry, now_s: float) -> Text | None:
    """'⚠2 ' before a run's name when it has warnings or errors (views/anomaly_watch.py)."""
    summary = entry.summary
    if not summary.anomalies and entry.status != "running":
        return None  # a stall is the only anomaly not folded, and only a running run has one
    from runar.views.anomaly_watch import alarming, anomalies_of

    found = alarming(anomalies_of(summary, int(now_s * fmt.NS)))
    if not found:
        return None
    style = "bold red" if any(a.level == "error" for a in found) else "bold yellow"
    return Text(f"⚠{len(found)} ", style=style)


class RunTable(DataTable[Any]):
    """Rows keyed by run id; the cursor stays on its run across rebuilds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.metric_keys: list[str] = []

    @property
    def current_run_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # an out-of-range cursor simply means no run
            return None
        return key.value

    def show(
        self,
        entries: list[RunEntry],
        numbers: dict[str, int],
        metric_keys: list[str],
        selected: set[str],
        now_s: float,
    ) -> None:
        """Replace the rows, keeping the cursor on the same run when it is still shown."""
        keep = self.current_run_id
        row = self.cursor_row
        if metric_keys != self.metric_keys or not self.columns:
            self.clear(columns=True)
            self.metric_keys = list(metric_keys)
            for label in (*FIXED_COLUMNS, *metric_keys, *TRAILING_COLUMNS):
                self.add_column(label, key=label or "sel")
        else:
            self.clear()
        for entry in entries:
            self.add_row(*self._cells(entry, numbers, selected, now_s), key=entry.run_id)
        if not entries:
            return
        ids = [e.run_id for e in entries]
        target = ids.index(keep) if keep in ids else min(row, len(ids) - 1)
        self.move_cursor(row=target, animate=False, scroll=True)

    def _cells(
        self, entry: RunEntry, numbers: dict[str, int], selected: set[str], now_s: float
    ) -> list[Text | str]:
        summary = entry.summary
        glyph, colour = fmt.STATUS_GLYPHS.get(entry.status, ("?", "white"))
        name = summary.display_name or short(summary.run_id)
        name_cell = Text(name[:NAME_WIDTH])
        if summary.corrupt:
            name_cell = Text(WARNING, style="bold yellow") + name_cell
        flagged = anomaly_marker(entry, now_s)
        if flagged is not None:
            name_cell = flagged + name_cell
        live = entry.status == "running"
        cells: list[Text | str] = [
            Text(SELECTED if entry.run_id in selected else " ", style="bold magenta"),
            Text(str(numbers.get(entry.run_id, "")), style="dim"),
            name_cell,
            Text(f"{glyph} {entry.status}", style=colour),
        ]
        for key in self.metric_keys:
            metric = summary.metrics.get(key)
            if metric is None:
                cells.append(Text("—", style="dim", justify="right"))
            else:
                text = fmt.number(metric.last) + (" •" if live else "")
                cells.append(Text(text, style="cyan" if live else "", justify="right"))
        cells.append(Text(fmt.duration(run_seconds(entry, now_s)), justify="right"))
        cells.append(Text(fmt.ago(summary.created_ts, now_s), style="dim"))
        cells.append(Text(", ".join(summary.tag_list())[:TAGS_WIDTH], style="green"))
        return cells
