"""`runar show <id>`: everything runar knows about one run."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

import msgspec

from runar.cli import render
from runar.cli.access import current_store, existing_views
from runar.ids import short
from runar.projects import store_project
from runar.views.anomaly_watch import anomalies_of, to_record

if TYPE_CHECKING:
    from rich.console import Console

    from runar.store import Store
    from runar.views.summary import RunSummary, StepSummary


def _step_records(summary: RunSummary) -> list[dict[str, Any]]:
    def order(step: StepSummary) -> tuple[int, str]:
        return (step.started_ts or 0, step.step_id)

    records = []
    for step in sorted(summary.steps.values(), key=order):
        seconds = None
        if step.started_ts and step.ended_ts:
            seconds = (step.ended_ts - step.started_ts) / render.NS
        records.append(
            {
                "id": step.step_id,
                "name": step.name or step.step_id,
                "parent": step.parent,
                "status": step.status,
                "started": render.iso(step.started_ts),
                "ended": render.iso(step.ended_ts),
                "duration_s": seconds,
                "error_type": step.error_type,
                "error": step.error,
                "metrics": list(step.metric_keys),
                "artifacts": list(step.artifacts),
            }
        )
    return records


def show_record(store: Store, summary: RunSummary, status: str) -> dict[str, Any]:
    """What `runar show` prints about a run, as plain data."""
    started = summary.started
    finished = summary.finished
    artifacts_dir = store.artifacts_dir(summary.run_id)
    arguments = summary.arguments()
    return {
        "id": summary.run_id,
        "short_id": short(summary.run_id),
        "name": summary.display_name,
        "status": status,
        "project": summary.project or store_project(store.root),
        "created": render.iso(summary.created_ts),
        "ended": render.iso(summary.ended_ts),
        "duration_s": render.run_seconds(summary, status),
        "exit_code": finished.exit_code if finished else None,
        "signal": finished.signal if finished else None,
        "error": finished.error if finished else None,
        "error_type": finished.error_type if finished else None,
        "traceback": finished.traceback if finished else None,
        "command": list(started.command or started.argv) if started else [],
        "argv": list(started.argv) if started else [],
        "arguments": {
            "args": list(arguments.args),
            "config": dict(arguments.config),
            "positional": list(arguments.positional),
        },
        "source": started.source if started else None,
        "rerun_of": started.rerun_of if started else None,
        "cwd": started.cwd if started else None,
        "host": started.host if started else None,
        "user": started.user if started else None,
        "pid": started.pid if started else None,
        "python": started.python if started else None,
        "executable": started.executable if started else None,
        "platform": started.platform if started else None,
        "git": msgspec.to_builtins(summary.git) if summary.git else None,
        "env": dict(started.env) if started else {},
        "packages": dict(started.packages) if started else {},
        "config": summary.config_nested(),
        "tags": summary.tag_list(),
        "notes": [{"ts": render.iso(ts), "text": text} for ts, text in summary.notes],
        "steps": _step_records(summary),
        "metrics": {
            key: {
                "last": m.last,
                "last_step": m.last_step,
                "best": m.best(key),
                "min": m.min,
                "max": m.max,
                "count": m.count,
            }
            for key, m in sorted(summary.metrics.items())
        },
        "summary": {k: r.value for k, r in sorted(summary.summary_values.items())},
        "artifacts": [
            {
                "name": a.name,
                "kind": a.kind,
                "size": a.size,
                "sha256": a.sha256,
                "path": a.path,
                "file": str(artifacts_dir / a.path),
                "step": a.workflow_step,
                "meta": a.meta,
            }
            for a in sorted(summary.artifacts.values(), key=lambda a: (a.ts, a.name))
        ],
        "system": msgspec.to_builtins(summary.system),
        "events": summary.events,
        "corrupt": summary.corrupt,
        "anomalies": [to_record(a) for a in anomalies_of(summary)],
    }


def _field(out: Console, label: str, value: str) -> None:
    out.print(f"  [dim]{label:<11}[/]{value}")


def _section(out: Console, title: str) -> None:
    out.print(f"\n[bold]{title}[/]")


def _git_line(git: dict[str, Any]) -> str:
    where = f"{git.get('branch') or '(detached)'}@{(git.get('commit') or '?')[:7]}"
    dirty = " [yellow](dirty)[/]" if git.get("dirty") else ""
    return render.escape(where) + dirty


def _print_header(out: Console, rec: dict[str, Any]) -> None:
    title = rec["name"] or rec["short_id"]
    out.print(
        f"[bold]▶ {render.escape(title)}[/] [dim]({rec['id']})[/]  "
        f"{render.status_markup(rec['status'])}  {render.duration(rec['duration_s'])}"
    )
    if rec["error"] or rec["signal"] or rec["exit_code"]:
        reason = rec["error"] or (
            f"signal {rec['signal']}" if rec["signal"] else f"exit code {rec['exit_code']}"
        )
        out.print(f"  [red]{render.escape(str(reason))}[/]")


def _print_error(out: Console, rec: dict[str, Any]) -> None:
    """The exception and the end of its traceback; the header already has the message."""
    if not (rec["error_type"] or rec["traceback"]):
        return
    _section(out, "Error")
    if rec["error_type"]:
        _field(out, "type", f"[red]{render.escape(rec['error_type'])}[/]")
    if rec["traceback"]:
        for line in rec["traceback"].rstrip("\n").splitlines():
            out.print(f"  [dim]{render.escape(line)}[/]")


def _print_provenance(out: Console, rec: dict[str, Any], created_ns: int) -> None:
    _section(out, "Run")
    _field(out, "created", f"{render.clock(created_ns)} ({render.ago(created_ns)})")
    if rec.get("project"):
        _field(out, "project", render.escape(rec["project"]))
    if rec["command"]:
        _field(out, "command", render.escape(shlex.join(rec["command"])))
    if rec["arguments"]["args"]:
        _field(out, "arguments", render.escape(shlex.join(rec["arguments"]["args"])))
    if rec["cwd"]:
        _field(out, "cwd", render.escape(rec["cwd"]))
    if rec.get("rerun_of"):
        _field(out, "rerun of", rec["rerun_of"])
    if rec["git"]:
        git = rec["git"]
        _field(out, "git", _git_line(git))
        if git.get("remote"):
            _field(out, "remote", render.escape(git["remote"]))
        if git.get("snapshot"):
            _field(out, "snapshot", f"{git['snapshot'][:12]} (uncommitted changes)")
    elif rec["source"]:
        _field(out, "git", "[dim]not a git repository[/]")
    if rec["tags"]:
        _field(out, "tags", render.escape(", ".join(rec["tags"])))
    for note in rec["notes"]:
        _field(out, "note", render.escape(note["text"]))
    _section(out, "Environment")
    for label in ("python", "executable", "platform", "host", "user"):
        if rec[label]:
            _field(out, label, render.escape(str(rec[label])))
    _field(out, "packages", f"{len(rec['packages'])} recorded; env vars: {len(rec['env'])}")


def _print_config(out: Console, config: dict[str, Any], depth: int = 1) -> None:
    for key, value in config.items():
        if isinstance(value, dict):
            out.print("  " * depth + f"[dim]{render.escape(key)}:[/]")
            _print_config(out, value, depth + 1)
        else:
            shown = render.escape(repr(value) if isinstance(value, str) else str(value))
            out.print("  " * depth + f"[dim]{render.escape(key)}:[/] {shown}")


def _print_steps(out: Console, steps: list[dict[str, Any]]) -> None:
    depth: dict[str, int] = {}
    for step in steps:
        level = depth.get(step["parent"] or "", -1) + 1
        depth[step["id"]] = level
        glyph = render.status_markup(step["status"]).split(" ", 1)[0] + "[/]"
        extra = f" [red]{render.escape(step['error'])}[/]" if step["error"] else ""
        out.print(
            "  " + "  " * level + f"{glyph} {render.escape(step['name'])}  "
            f"[dim]{render.duration(step['duration_s'])}[/]{extra}"
        )


_LEVEL_STYLE = {"error": "red", "warn": "yellow", "info": "dim"}


def _print_anomalies(out: Console, anomalies: list[dict[str, Any]]) -> None:
    _section(out, "Anomalies")
    for a in anomalies:
        style = _LEVEL_STYLE.get(a["level"], "yellow")
        glyph = "ℹ" if a["level"] == "info" else "⚠"
        first, last = a["first_step"], a["last_step"]
        steps = "" if first is None else str(first)
        if steps and last not in (None, first):
            steps += f"–{last}"
        where = f"[dim]step {steps}[/]  " if steps else ""
        out.print(f"  [{style}]{glyph} {a['rule']:<10}[/] {where}{render.escape(a['message'])}")


def _print_measurements(out: Console, rec: dict[str, Any]) -> None:
    if rec["metrics"]:
        _section(out, "Metrics")
        rows: list[list[render.Cell]] = [
            [
                k,
                render.number(m["last"]),
                render.number(m["best"]),
                render.number(m["min"]),
                render.number(m["max"]),
                "—" if m["last_step"] is None else str(m["last_step"]),
                str(m["count"]),
            ]
            for k, m in rec["metrics"].items()
        ]
        headers = ["KEY", "LAST", "BEST", "MIN", "MAX", "STEP", "COUNT"]
        render.print_table(headers, rows, right=range(1, 7), flexible=(0,))
    if rec["summary"]:
        _section(out, "Summary")
        for key, value in rec["summary"].items():
            _field(out, key, render.number(value))
    if rec["artifacts"]:
        _section(out, "Artifacts")
        rows = [[a["name"], a["kind"], render.size(a["size"]), a["file"]] for a in rec["artifacts"]]
        headers = ["NAME", "KIND", "SIZE", "FILE"]
        render.print_table(headers, rows, right=(2,), flexible=(3, 0))
    system = rec["system"]
    if system.get("samples"):
        _section(out, "System peak")
        _field(out, "cpu", f"{system.get('cpu_percent', 0):.0f}%")
        _field(out, "memory", render.size(system.get("rss_bytes")))
        if system.get("gpu_count"):
            util = system.get("gpu_util_percent")
            _field(out, "gpus", str(system["gpu_count"]))
            _field(out, "gpu util", "—" if util is None else f"{util:.0f}%")
            _field(out, "gpu memory", render.size(system.get("gpu_mem_used")))


def print_show(rec: dict[str, Any], created_ns: int) -> None:
    """The human view of a run record."""
    out = render.console()
    _print_header(out, rec)
    _print_error(out, rec)
    _print_provenance(out, rec, created_ns)
    if rec["config"]:
        _section(out, "Config")
        _print_config(out, rec["config"])
    if rec["steps"]:
        _section(out, "Steps")
        _print_steps(out, rec["steps"])
    if rec.get("anomalies"):
        _print_anomalies(out, rec["anomalies"])
    _print_measurements(out, rec)
    if rec.get("reproducibility"):
        from runar.cli.reproduce import print_reproducibility

        print_reproducibility(out, rec["reproducibility"], rec["id"])
    if rec["corrupt"]:
        out.print(f"\n[yellow]{rec['corrupt']} damaged log line(s) were skipped[/]")


def show_run(ref: str, as_json: bool = False) -> None:
    """`runar show REF [--json]`; typer-free, so the fast path (cli/fast.py) can call it."""
    store = current_store()
    with existing_views(store) as views:
        summary = views.get(ref)
        record = show_record(store, summary, views.status(summary))
        from runar.views.reproducibility import show_field

        record["reproducibility"] = show_field(views, summary)  # None outside a rerun family
    if as_json:
        render.print_json(record)
    else:
        print_show(record, summary.created_ts)
