"""What a run report and a comparison show, gathered from the views as plain data.

The same record feeds the PDF (typst reads it as JSON) and the HTML page, so both show
the same things. Charts and embedded images travel beside it as named files.
"""

from __future__ import annotations

import json
import math
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from runar import display
from runar.ids import short
from runar.views.liveness import effective_status
from runar.views.summary import lower_is_better

if TYPE_CHECKING:
    import polars as pl

    from runar.report.charts import Mark, Series
    from runar.store import Store
    from runar.views.summary import RunSummary

MAX_CHARTS: Final = 12
MAX_IMAGES: Final = 8
MAX_IMAGE_BYTES: Final = 5_000_000
MAX_CONFIG_VALUE: Final = 120  # characters of one config value in a table cell
MAX_TRACEBACK_LINES: Final = 30
IMAGE_MAGIC: Final = {  # what an embeddable file starts with; anything else is only listed
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8",),
    ".jpeg": (b"\xff\xd8",),
    ".gif": (b"GIF8",),
    ".svg": (b"<?xml", b"<svg"),
}
CRASHED: Final = "its processes are gone and it never recorded an end (killed or out of memory?)"
KEY_PACKAGES: Final = (
    "torch", "numpy", "jax", "tensorflow", "transformers", "lightning", "pytorch-lightning",
    "keras", "scikit-learn", "scipy", "pandas", "polars", "accelerate", "datasets",
    "xgboost", "lightgbm", "runar",
)  # fmt: skip


@dataclass
class Report:
    """A report's record (JSON-ready) and the files it refers to by name."""

    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_CONFIG_VALUE else text[: MAX_CONFIG_VALUE - 1] + "…"


def _seconds(start: int | None, end: int | None) -> float | None:
    return (end - start) / display.NS if start and end else None


def _run_end(summary: RunSummary) -> int:
    return summary.ended_ts or summary.last_ts or summary.created_ts


def _header(summary: RunSummary) -> dict[str, Any]:
    started = summary.started
    git = summary.git
    status = effective_status(summary)
    return {
        "title": summary.display_name or short(summary.run_id),
        "run_id": summary.run_id,
        "short_id": short(summary.run_id),
        "status": status,
        "created": display.clock(summary.created_ts),
        "duration": display.duration(_seconds(summary.created_ts, _run_end(summary))),
        "command": shlex.join(started.command or started.argv) if started else "",
        "tags": summary.tag_list(),
        "git": None
        if git is None
        else {
            "commit": git.commit or "",
            "branch": git.branch or "(detached)",
            "dirty": git.dirty,
            "remote": git.remote or "",
        },
    }


def _environment(summary: RunSummary) -> tuple[list[list[str]], list[list[str]]]:
    started = summary.started
    if started is None:
        return [], []
    rows = [
        [label, str(value)]
        for label, value in (
            ("python", started.python),
            ("host", started.host),
            ("platform", started.platform),
            ("user", started.user),
            ("cwd", started.cwd),
        )
        if value
    ]
    by_lower = {name.lower(): (name, v) for name, v in started.packages.items()}
    packages = [list(by_lower[p]) for p in KEY_PACKAGES if p in by_lower]
    if started.packages:
        rows.append(["packages", f"{len(started.packages)} recorded"])
    return rows, packages


def _steps(summary: RunSummary) -> list[dict[str, Any]]:
    """The steps timeline: depth, status, duration and where each bar sits."""
    # the axis runs from the first step's start to the last one's end, not over the whole
    # run: a second of interpreter start-up would squeeze a few short steps into slivers
    run_end = _run_end(summary)
    began_at = [s.started_ts for s in summary.steps.values() if s.started_ts]
    start = min(began_at, default=summary.created_ts)
    end = max((s.ended_ts or run_end for s in summary.steps.values()), default=run_end)
    span = max(end - start, 1)
    ordered = sorted(summary.steps.values(), key=lambda s: (s.started_ts or 0, s.step_id))
    depth: dict[str, int] = {}
    rows = []
    for step in ordered:
        level = depth.get(step.parent or "", -1) + 1
        depth[step.step_id] = level
        began = step.started_ts or start
        ended = step.ended_ts or run_end
        offset = min(max((began - start) / span, 0.0), 1.0)
        rows.append(
            {
                "name": step.name or step.step_id,
                "depth": level,
                "status": step.status,
                "duration": display.duration(_seconds(step.started_ts, ended)),
                "offset": round(offset, 4),
                "width": round(min(max((ended - began) / span, 0.004), 1.0 - offset), 4),
                "error": step.error or "",
            }
        )
    return rows


def _metric_rows(summary: RunSummary) -> list[dict[str, str]]:
    return [
        {
            "key": key,
            "last": display.number(m.last),
            "best": display.number(m.best(key)),
            "min": display.number(m.min),
            "max": display.number(m.max),
            "count": str(m.count),
            "direction": "min" if lower_is_better(key) else "max",
        }
        for key, m in sorted(summary.metrics.items())
    ]


def curves(points: pl.DataFrame, run_id: str) -> dict[str, tuple[Sequence[float], Sequence[float]]]:
    """Each key's (x, y) for one run in step order; a key logged without steps counts its points."""
    import polars as pl

    mine = points.filter(pl.col("run_id") == run_id).sort(["key", "step", "ts"], nulls_last=True)
    mine = mine.with_columns(
        pl.col("step")
        .cast(pl.Float64)
        .fill_null(pl.int_range(pl.len()).over("key").cast(pl.Float64))
    )
    out: dict[str, tuple[Sequence[float], Sequence[float]]] = {}
    for (key,), part in mine.group_by(["key"], maintain_order=True):
        out[str(key)] = (part["step"].to_numpy(), part["value"].cast(pl.Float64).to_numpy())
    return out


def chart_groups(keys: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Keys drawn together: those sharing a last name (train/loss, val/loss → loss)."""
    by_leaf: dict[str, list[str]] = {}
    for key in sorted(keys):
        by_leaf.setdefault(key.rsplit("/", 1)[-1], []).append(key)
    groups: list[tuple[str, list[str]]] = []
    for leaf, members in by_leaf.items():
        if len(members) > 1:
            groups.append((leaf, members))
        else:
            groups.append((members[0], members))
    return sorted(groups, key=lambda g: g[1][0])


def _draw(
    groups: list[tuple[str, list[Series]]],
    report: Report,
    prefix: str,
    marks: dict[str, list[Mark]] | None = None,
) -> list[dict]:
    from runar.report.charts import line_chart

    charts = []
    for i, (title, series) in enumerate(groups[:MAX_CHARTS]):
        name = f"{prefix}{i}.svg"
        on_chart = [m for s in series for m in (marks or {}).get(s.label, [])]
        report.files[name] = line_chart(title, series, marks=on_chart)
        charts.append({"title": title, "file": name})
    return charts


def _image_bytes(path: Path, magic: tuple[bytes, ...]) -> bytes | None:
    """The file's bytes when it looks like the image its suffix says; a bad one would stop typst."""
    try:
        content = path.read_bytes() if path.is_file() else b""
    except OSError:
        return None
    return content if content.lstrip().startswith(magic) else None


def _artifacts(store: Store, summary: RunSummary, report: Report) -> list[dict[str, Any]]:
    folder = store.artifacts_dir(summary.run_id)
    rows = []
    embedded = 0
    for art in sorted(summary.artifacts.values(), key=lambda a: (a.ts, a.name)):
        step = summary.steps.get(art.workflow_step or "")
        row: dict[str, Any] = {
            "name": art.name,
            "kind": art.kind,
            "size": display.size(art.size),
            "step": (step.name or step.step_id) if step else "",
            "image": None,
        }
        suffix = Path(art.path).suffix.lower()
        if embedded < MAX_IMAGES and suffix in IMAGE_MAGIC and art.size <= MAX_IMAGE_BYTES:
            content = _image_bytes(folder / art.path, IMAGE_MAGIC[suffix])
            if content is not None:
                name = f"image{embedded}{suffix}"
                report.files[name] = content
                row["image"] = name
                embedded += 1
        rows.append(row)
    return rows


def _failure(summary: RunSummary) -> dict[str, str] | None:
    finished = summary.finished
    if finished is None:
        if effective_status(summary) != "crashed":
            return None
        return {"error": CRASHED, "error_type": "", "traceback": ""}
    if finished.status == "completed":
        return None
    reason = finished.error or summary.failure() or ""
    if not reason and finished.signal:
        reason = f"signal {finished.signal}"
    if not reason and finished.exit_code:
        reason = f"exit code {finished.exit_code}"
    lines = (finished.traceback or "").rstrip("\n").splitlines()[-MAX_TRACEBACK_LINES:]
    return {"error": reason, "error_type": finished.error_type or "", "traceback": "\n".join(lines)}


def _anomalies(summary: RunSummary) -> list[dict[str, Any]]:
    """What the anomaly rules (views/anomalies.py), alerts and a stall found, in step order."""
    from runar.views.anomaly_watch import anomalies_of

    return [
        {
            "rule": a.rule,
            "key": a.key,
            "level": a.level,
            "steps": a.steps,
            "text": a.message,
            "first": a.first_step,
            "last": a.last_step,
        }
        for a in anomalies_of(summary)
    ]


def run_report(store: Store, summary: RunSummary, points: pl.DataFrame) -> Report:
    """Everything `runar report run` shows about one run."""
    from runar.report.charts import Mark, Series

    report = Report({})
    environment, packages = _environment(summary)
    anomalies = _anomalies(summary)
    marks: dict[str, list[Mark]] = {}
    for a in anomalies:
        if a["first"] is not None:
            last = a["last"] if a["last"] is not None else a["first"]
            marks.setdefault(a["key"], []).append(Mark(a["first"], last, a["level"]))
    data = _header(summary)
    by_key = curves(points, summary.run_id)
    drawable = [k for k, (xs, _) in by_key.items() if len(xs) > 1]
    groups = [
        (title, [Series(k, *by_key[k]) for k in members])
        for title, members in chart_groups(drawable)
    ]
    data.update(
        config=[[k, _text(v)] for k, v in summary.config_values().items()],
        environment=environment,
        packages=packages,
        steps=_steps(summary),
        metrics=_metric_rows(summary),
        summary=[[k, display.number(r.value)] for k, r in sorted(summary.summary_values.items())],
        charts=_draw(groups, report, "chart", marks),
        charts_omitted=max(len(groups) - MAX_CHARTS, 0),
        artifacts=_artifacts(store, summary, report),
        notes=[{"time": display.clock(ts), "text": text} for ts, text in summary.notes],
        failure=_failure(summary),
        anomalies=anomalies,
        generated=display.clock(time.time_ns()),
    )
    report.data = data
    return report


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def compare_report(store: Store, summaries: Sequence[RunSummary], points: pl.DataFrame) -> Report:
    """Runs side by side: who they are, where their configs differ, final metrics, curves."""
    from runar.report.charts import Series

    report = Report({})
    labels = [s.display_name or short(s.run_id) for s in summaries]
    runs = []
    for s, label in zip(summaries, labels, strict=True):
        header = _header(s)
        git = header["git"]
        runs.append(
            {
                "label": label,
                "short_id": header["short_id"],
                "status": header["status"],
                "duration": header["duration"],
                "created": header["created"],
                "commit": (git["commit"][:7] + ("+" if git["dirty"] else "")) if git else "",
                "anomalies": len(_anomalies(s)),
            }
        )
    configs = [s.config_values() for s in summaries]
    keys = sorted({k for c in configs for k in c})
    differing = [k for k in keys if len({json.dumps(c.get(k), default=str) for c in configs}) > 1]
    config_diff = [[k, *(_text(c[k]) if k in c else "—" for c in configs)] for k in differing]
    metric_keys = sorted({k for s in summaries for k in s.last_metrics()})
    metrics = []
    for key in metric_keys:
        values = [s.last_metrics().get(key) for s in summaries]
        finite = [v for v in values if _finite(v)]
        best = (min(finite) if lower_is_better(key) else max(finite)) if len(finite) > 1 else None
        metrics.append(
            {
                "key": key,
                "direction": "min" if lower_is_better(key) else "max",
                "values": [display.number(v) for v in values],
                "best": [best is not None and v == best for v in values],
            }
        )
    per_run = [curves(points, s.run_id) for s in summaries]
    shared = sorted(
        {k for c in per_run for k, (xs, _) in c.items() if len(xs) > 1},
        key=lambda k: (-sum(k in c for c in per_run), k),  # keys most runs have come first
    )
    named = list(zip(labels, per_run, strict=True))
    groups = [(key, [Series(label, *c[key]) for label, c in named if key in c]) for key in shared]
    report.data = {
        "title": "Comparison of " + ", ".join(labels),
        "runs": runs,
        "config_diff": config_diff,
        "config_same": len(keys) - len(differing),
        "metrics": metrics,
        "charts": _draw(groups, report, "overlay"),
        "charts_omitted": max(len(groups) - MAX_CHARTS, 0),
        "generated": display.clock(time.time_ns()),
    }
    return report
