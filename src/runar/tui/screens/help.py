"""`?`: every key of the screen below and of the app, in one table."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "space": "Space",
    "enter": "Enter",
    "escape": "Esc",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "backspace": "Backspace",
}
ALWAYS = [("↑ ↓", "move"), ("Tab", "next widget")]


def key_label(keys: str) -> str:
    return " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def describe(screen: Screen[object], app_bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do) for the screen's bindings, then the app's."""
    rows: list[tuple[str, str]] = list(ALWAYS)
    for binding in [*screen.BINDINGS, *app_bindings]:
        if isinstance(binding, Binding):
            rows.append((key_label(binding.key), binding.description or binding.action))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = [f"[b]{self.title_text}[/b]", ""]
        lines += [f"  [b cyan]{keys:<12}[/] {what}" for keys, what in self.rows]
        lines += ["", "[dim]Esc closes this help[/]"]
        with VerticalScroll(id="help"):
            yield Static("\n".join(lines))

    def action_close(self) -> None:
        self.dismiss(None)
