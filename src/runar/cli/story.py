"""One line of a run's story per raw event, for `runar replay`."""

from __future__ import annotations

import shlex
from typing import Final

from runar.cli import render
from runar.events import (
    AnyEvent,
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunRenamed,
    RunStarted,
    StepFinished,
    StepStarted,
    SummarySet,
    TagsChanged,
    Unknown,
)
from runar.views.summary import flatten

MAX_CONFIG_ITEMS: Final = 12
FINISH_STYLE: Final = {"completed": "green", "failed": "red", "killed": "red", "crashed": "red"}


def _values(values: dict[str, float]) -> str:
    return "  ".join(f"{k}={render.number(v)}" for k, v in values.items())


class Story:
    """Turns events into story lines, remembering what later lines refer back to."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self.start_ts: int | None = None
        self.steps: dict[str, tuple[str, int]] = {}

    def _paint(self, text: str, style: str) -> str:
        return render.paint(text, style, self.colour)

    def prefix(self, ts: int) -> str:
        """Time since the run began, e.g. '+  12.3s'."""
        if self.start_ts is None:
            self.start_ts = ts
        seconds = max(0, ts - self.start_ts) / render.NS
        return self._paint(f"+{render.duration(seconds) if seconds >= 1 else '0s':>8}", "dim")

    def line(self, event: AnyEvent | Unknown) -> str | None:
        """The story line for an event, or None for events the story leaves out."""
        text = self._describe(event)
        return None if text is None else f"{self.prefix(event.ts)}  {text}"

    def _describe(self, event: AnyEvent | Unknown) -> str | None:
        match event:
            case RunStarted():
                return self._started(event)
            case RunRenamed(name=name):
                return f"✎ renamed to {name}"
            case ConfigSet(values=values):
                flat = flatten(values)
                shown = ", ".join(f"{k}={v!r}" for k, v in list(flat.items())[:MAX_CONFIG_ITEMS])
                more = (
                    f", … (+{len(flat) - MAX_CONFIG_ITEMS})" if len(flat) > MAX_CONFIG_ITEMS else ""
                )
                return f"⚙ config {shown}{more}"
            case TagsChanged(added=added, removed=removed):
                changes = [f"+{t}" for t in added] + [f"-{t}" for t in removed]
                return f"# tags {' '.join(changes)}"
            case NoteAdded(text=text):
                return f"✎ note: {text}"
            case StepStarted(step_id=step_id, name=name):
                self.steps[step_id] = (name, event.ts)
                return self._paint(f"┌ step {name}", "bold")
            case StepFinished():
                return self._step_finished(event)
            case MetricsLogged(values=values, step=step):
                where = f"step {step}" if step is not None else "metrics"
                source = self._paint(" (from output)", "dim") if event.source else ""
                return f"· {where}  {_values(values)}{source}"
            case SummarySet(values=values):
                return f"Σ summary  {_values(values)}"
            case ArtifactAttached(name=name, kind=kind, size=size):
                return f"◆ artifact {name} ({kind}, {render.size(size)})"
            case RunFinished():
                return self._finished(event)
            case Unknown(raw=raw):
                return self._paint(f"? unknown event '{raw.get('type', '?')}'", "dim")
            case _:
                return None  # writer bookkeeping and system samples are not part of the story

    def _started(self, event: RunStarted) -> str:
        command = shlex.join(event.command or event.argv) if (event.command or event.argv) else ""
        head = self._paint(f"▶ run started{': ' + event.name if event.name else ''}", "bold")
        parts = [head]
        if command:
            parts.append(command)
        git = event.git
        if git is not None and git.commit:
            dirty = " (dirty)" if git.dirty else ""
            parts.append(f"git {git.branch or '(detached)'}@{git.commit[:7]}{dirty}")
        if event.python:
            parts.append(f"python {event.python}")
        return " · ".join(parts)

    def _step_finished(self, event: StepFinished) -> str:
        name, started = self.steps.get(event.step_id, (event.step_id, 0))
        took = f" in {render.duration((event.ts - started) / render.NS)}" if started else ""
        if event.status == "completed":
            return self._paint(f"└ step {name} completed{took}", "green")
        error = f": {event.error_type or 'error'}: {event.error}" if event.error else ""
        return self._paint(f"└ step {name} failed{took}{error}", "red")

    def _finished(self, event: RunFinished) -> str:
        took = ""
        if self.start_ts is not None:
            took = f" in {render.duration((event.ts - self.start_ts) / render.NS)}"
        detail = []
        if event.exit_code is not None:
            detail.append(f"exit code {event.exit_code}")
        if event.signal is not None:
            detail.append(f"signal {event.signal}")
        if event.error:
            detail.append(event.error)
        tail = f" ({'; '.join(detail)})" if detail else ""
        text = f"{render.status_text(event.status)}{took}{tail}"
        return self._paint(text, FINISH_STYLE.get(event.status, "bold"))
