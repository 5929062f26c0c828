"""The Overview tab's text: how the run was started and ended (and why it failed), config, notes."""

from __future__ import annotations

import shlex
from typing import Any, Final

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from runar.tui import format as fmt
from runar.tui.catalog import RunEntry
from runar.tui.widgets.run_table import run_seconds

INDENT: Final = "  "
TRACEBACK_LINES: Final = 15  # the innermost frames and the exception


def _config_lines(nested: dict[str, Any], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for key, value in nested.items():
        if isinstance(value, dict):
            lines.append(f"{INDENT * depth}[b]{escape(str(key))}[/b]:")
            lines.extend(_config_lines(value, depth + 1))
        else:
            lines.append(f"{INDENT * depth}{escape(str(key))}: [cyan]{escape(repr(value))}[/]")
    return lines


def overview(entry: RunEntry, now_s: float, deleted: bool = False) -> RenderableType:
    """Everything about the run that is not a series, as one renderable."""
    s = entry.summary
    started = s.started
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()

    def row(label: str, value: str | Text) -> None:
        table.add_row(label, value if isinstance(value, Text) else Text.from_markup(value))

    row("run", f"{escape(s.display_name or '—')}  [dim]{s.run_id}[/]")
    status = fmt.status_markup(entry.status)
    if s.finished is not None:
        if s.finished.exit_code is not None:
            status += f"  exit code {s.finished.exit_code}"
        if s.finished.signal is not None:
            status += f"  signal {s.finished.signal}"
        if s.finished.error:
            status += f"\n[red]{escape(s.finished.error)}[/]"
    row("status", status)
    if s.corrupt:
        row("warning", f"[b yellow]⚠ {s.corrupt} damaged record(s) skipped in the log[/]")
    if deleted:
        row("warning", "[b yellow]this run was deleted; showing what was loaded[/]")
    if started is not None:
        command = started.command or started.argv
        row("command", Text(shlex.join(command) if command else "—"))
        arguments = s.arguments().args
        if arguments:
            row("arguments", Text(shlex.join(arguments)))
        row("cwd", Text(started.cwd or "—"))
        row("host", Text(f"{started.host or '—'}  pid {started.pid}  user {started.user or '—'}"))
        row("python", Text(f"{started.python or '—'}  {started.executable}".strip()))
    git = s.git
    if git is not None and git.commit:
        dirty = "  [yellow]dirty[/]" if git.dirty else ""
        row("git", f"{git.commit[:12]} on {escape(git.branch or '(detached)')}{dirty}")
    row("started", fmt.clock(s.created_ts))
    row("ended", fmt.clock(s.ended_ts) if s.ended_ts else "—")
    row("duration", fmt.duration(run_seconds(entry, now_s)))
    row("tags", ", ".join(s.tag_list()) or "—")
    last = s.last_metrics()
    if last:
        shown = [f"{escape(k)}=[cyan]{fmt.number(v)}[/]" for k, v in sorted(last.items())]
        metrics = "  ".join(shown)
        row("last metrics", metrics)
    parts: list[RenderableType] = [table]
    finished = s.finished
    if finished is not None and (finished.error_type or finished.traceback):
        parts.append(Text.from_markup("\n[b red]error[/]"))
        if finished.error_type:
            parts.append(Text(finished.error_type, style="bold red"))
        if finished.traceback:
            tail = finished.traceback.rstrip("\n").splitlines()[-TRACEBACK_LINES:]
            parts.append(Text("\n".join(tail), style="red"))
    config = s.config_nested()
    parts.append(Text.from_markup("\n[b]config[/b]"))
    parts.append(Text.from_markup("\n".join(_config_lines(config)) if config else "[dim]none[/]"))
    if s.notes:
        parts.append(Text.from_markup("\n[b]notes[/b]"))
        for ts, note in s.notes:
            parts.append(Text.from_markup(f"[dim]{fmt.clock(ts)}[/]  {escape(note)}"))
    return Group(*parts)
