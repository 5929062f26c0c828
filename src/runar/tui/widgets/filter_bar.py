"""The `/` filter input: hidden until asked for, applied as you type."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

PLACEHOLDER = "filter: bert lr<1e-3 acc>0.8 tag:baseline, or config.lr < 1e-3 and (…)"


class FilterBar(Input):
    """An Input that hides itself on Escape and hands focus back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Clear filter")]

    def __init__(self) -> None:
        super().__init__(placeholder=PLACEHOLDER, id="filter")

    def action_dismiss(self) -> None:
        self.value = ""
        self.display = False
        self.screen.focus_next()
