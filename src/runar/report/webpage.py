"""A report's record → one self-contained HTML file: styles inline, images as data: URLs."""

from __future__ import annotations

import base64
from html import escape
from pathlib import PurePath
from typing import Any, Final

from runar.report.run_data import Report

MIME: Final = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
LEVEL_CLASS: Final = {"error": "failed", "warn": "warn", "info": "muted"}
STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.7em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .5em}
.muted{color:#777}.warn{color:#ef6c00}
.badge{font-size:.8em;font-weight:600;padding:2px 6px;border-radius:4px}
.completed{color:#2e7d32;background:#e8f5e9}.running{color:#1565c0;background:#e3f2fd}
.failed,.killed,.crashed{color:#c62828;background:#ffebee}
table{border-collapse:collapse;margin:.3em 0}th,td{padding:3px 8px;text-align:left;
border-bottom:1px solid #e5e5e5;vertical-align:top}thead th{border-bottom:1.5px solid #333}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{white-space:pre-wrap}
.failure{border:1px solid #c62828;background:#fff5f5;padding:.6em .8em;border-radius:5px}
.bar{position:relative;width:320px;height:9px;background:#eee}
.bar span{position:absolute;top:0;height:9px}.bar .completed{background:#2e7d32}
.bar .running{background:#1565c0}.bar .failed,.bar .killed,.bar .crashed{background:#c62828}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:8px}.charts img{width:100%}
.images{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}.images img{max-width:100%}
figure{margin:0}figcaption{font-size:.85em;color:#555}
"""


def _data_url(report: Report, name: str) -> str:
    mime = MIME.get(PurePath(name).suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(report.files[name]).decode()}"


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _table(header: list[str] | None, rows: list[list[str]]) -> str:
    """Rows of already-escaped HTML cells, under a header unless there is none."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if header is None:
        return f"<table><tbody>{body}</tbody></table>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(rows: list[list[str]]) -> str:
    cells = [[f'<span class="muted">{escape(k)}</span>', escape(v)] for k, v in rows]
    return _table(None, cells)


def _charts(report: Report, charts: list[dict[str, Any]], omitted: int) -> str:
    images = "".join(
        f'<img alt="{escape(c["title"])}" src="{_data_url(report, c["file"])}">' for c in charts
    )
    more = f'<p class="muted">{omitted} more chart(s) not drawn</p>' if omitted else ""
    return f'<div class="charts">{images}</div>{more}'


def _page(title: str, body: list[str]) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _run_header(d: dict[str, Any]) -> list[str]:
    out = [
        f"<h1>{escape(d['title'])} {_badge(d['status'])}</h1>",
        f'<p class="muted">{escape(d["run_id"])} · started {escape(d["created"])} · '
        f"{escape(d['duration'])}</p>",
    ]
    rows = []
    if d["command"]:
        rows.append(["command", f"<code>{escape(d['command'])}</code>"])
    if d["git"]:
        g = d["git"]
        dirty = " (dirty: uncommitted changes kept)" if g["dirty"] else ""
        rows.append(["git", escape(f"{g['branch']} @ {g['commit'][:12]}{dirty}")])
        if g["remote"]:
            rows.append(["remote", escape(g["remote"])])
    if d["tags"]:
        rows.append(["tags", escape(", ".join(d["tags"]))])
    if rows:
        out.append(_table(None, [[f'<span class="muted">{k}</span>', v] for k, v in rows]))
    failure = d.get("failure")
    if failure:
        trace = f"<pre>{escape(failure['traceback'])}</pre>" if failure["traceback"] else ""
        out.append(f'<div class="failure"><b>Failure:</b> {escape(failure["error"])}{trace}</div>')
    return out


def _steps(steps: list[dict[str, Any]]) -> list[str]:
    rows = []
    for s in steps:
        indent = "&nbsp;" * 4 * s["depth"]
        bar = (
            f'<div class="bar"><span class="{escape(s["status"])}" style="left:'
            f'{s["offset"] * 100:.2f}%;width:{s["width"] * 100:.2f}%"></span></div>'
        )
        error = f' <span class="failed">{escape(s["error"])}</span>' if s["error"] else ""
        rows.append(
            [indent + escape(s["name"]) + error, _badge(s["status"]), escape(s["duration"]), bar]
        )
    return ["<h2>Steps</h2>", _table(["step", "status", "duration", "timeline"], rows)]


def run_page(report: Report) -> str:
    """The HTML of `runar report run`."""
    d = report.data
    body = _run_header(d)
    if d.get("anomalies"):
        rows = [
            [f'<span class="{LEVEL_CLASS.get(a["level"], "")}">{escape(a["level"])}</span>']
            + [escape(a[k]) for k in ("rule", "key", "steps", "text")]
            for a in d["anomalies"]
        ]
        body += ["<h2>Anomalies</h2>", _table(["level", "rule", "metric", "steps", "what"], rows)]
    if d["steps"]:
        body += _steps(d["steps"])
    if d["charts"] or d["metrics"]:
        body.append("<h2>Metrics</h2>")
        body.append(_charts(report, d["charts"], d["charts_omitted"]))
        rows = [
            [escape(m[k]) for k in ("key", "last", "best", "min", "max", "count")]
            for m in d["metrics"]
        ]
        body.append(_table(["metric", "last", "best", "min", "max", "points"], rows))
    if d["summary"]:
        body += ["<h2>Summary</h2>", _pairs(d["summary"])]
    if d["config"]:
        rows = [[escape(k), escape(v)] for k, v in d["config"]]
        body += ["<h2>Config</h2>", _table(["key", "value"], rows)]
    if d["artifacts"]:
        rows = [[escape(a[k]) for k in ("name", "kind", "size", "step")] for a in d["artifacts"]]
        body += ["<h2>Artifacts</h2>", _table(["name", "kind", "size", "step"], rows)]
        figures = "".join(
            f'<figure><img alt="{escape(a["name"])}" src="{_data_url(report, a["image"])}">'
            f"<figcaption>{escape(a['name'])}</figcaption></figure>"
            for a in d["artifacts"]
            if a["image"]
        )
        if figures:
            body.append(f'<div class="images">{figures}</div>')
    if d["notes"]:
        notes = "".join(
            f'<li><span class="muted">{escape(n["time"])}</span> {escape(n["text"])}</li>'
            for n in d["notes"]
        )
        body += ["<h2>Notes</h2>", f"<ul>{notes}</ul>"]
    if d["environment"]:
        body += ["<h2>Environment</h2>", _pairs(d["environment"] + d["packages"])]
    body.append(f'<p class="muted">runar report · {escape(d["generated"])}</p>')
    return _page(d["title"], body)


def compare_page(report: Report) -> str:
    """The HTML of `runar report compare`."""
    d = report.data
    labels = [r["label"] for r in d["runs"]]
    runs = [
        [escape(r["label"]), escape(r["short_id"]), _badge(r["status"]), escape(r["duration"]),
         escape(r["commit"]), str(r["anomalies"]), escape(r["created"])]
        for r in d["runs"]
    ]  # fmt: skip
    body = [
        f"<h1>{escape(d['title'])}</h1>",
        "<h2>Runs</h2>",
        _table(["run", "id", "status", "duration", "commit", "anomalies", "started"], runs),
        "<h2>Config that differs</h2>",
    ]
    if d["config_diff"]:
        rows = [[escape(c) for c in row] for row in d["config_diff"]]
        body.append(_table(["key", *labels], rows))
    else:
        body.append('<p class="muted">The runs have the same config.</p>')
    if d["config_same"]:
        body.append(
            f'<p class="muted">{d["config_same"]} key(s) with the same value in every run '
            "not shown</p>"
        )
    if d["metrics"]:
        rows = []
        for m in d["metrics"]:
            pairs = zip(m["values"], m["best"], strict=True)
            rows.append(
                [escape(m["key"])] + [f"<b>{escape(v)}</b>" if b else escape(v) for v, b in pairs]
            )
        body += ["<h2>Final metrics</h2>", _table(["metric", *labels], rows)]
    if d["charts"]:
        body += ["<h2>Curves</h2>", _charts(report, d["charts"], d["charts_omitted"])]
    body.append(f'<p class="muted">runar report compare · {escape(d["generated"])}</p>')
    return _page(d["title"], body)
