"""The REST endpoints: plain functions of a request, answering JSON (see docs/api.md).

Handlers are synchronous: Starlette runs them in its thread pool, where LMDB reads and
Polars work belong. A RunarError becomes ``{"error": "..."}`` with its status in app.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from runar.display import iso
from runar.errors import InvalidQuery, RunNotFound
from runar.store import Store
from runar.views.liveness import effective_status, run_seconds
from runar.views.summary import RunSummary
from runar.web import series
from runar.web.artifacts import artifact_file, artifact_url, content_type, disposition
from runar.web.encoding import encode, json_value
from runar.web.run_output import OutputCache
from runar.web.store_access import StoreAccess
from runar.web.table import DEFAULT_LIMIT, RunTable

DEFAULT_LOG_CHUNKS: Final = 1000
MAX_LOG_CHUNKS: Final = 10_000
STREAMS: Final = ("stdout", "stderr")
MAX_OVERLAY_RUNS: Final = 100


@dataclass
class Api:
    """What the handlers share: the store, its door, the run table and the output cache."""

    store: Store
    access: StoreAccess
    table: RunTable
    outputs: OutputCache


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        encode(data),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def _api(request: Request) -> Api:
    return request.app.state.api  # type: ignore[no-any-return]


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    number = series.whole_number(text)
    if number is None:
        raise InvalidQuery(f"{name}='{text}' is not a whole number")
    return number


def _summary(api: Api, ref: str) -> RunSummary:
    """The run a reference names, as the CLI resolves it (RunNotFound, AmbiguousRun)."""
    run_id = api.table.resolve(ref)
    summary = api.access.summary(run_id)
    if summary is None:
        raise RunNotFound(f"no run matches '{ref}'; it was removed")
    return summary


def runs(request: Request) -> Response:
    api = _api(request)
    q = request.query_params
    page = api.table.page(
        where=q.get("where", ""),
        sort=q.get("sort", ""),
        limit=_int_param(request, "limit", DEFAULT_LIMIT),
        cursor=q.get("cursor", ""),
        project=q.get("project", ""),
    )
    return json_response({"runs": page.rows, "total": page.total, "next_cursor": page.next_cursor})


def projects(request: Request) -> Response:
    """Every project with its number of runs, and the one `runar ls` would show from here."""
    from runar.projects import default_project

    api = _api(request)
    counts = api.table.projects()
    current = default_project(api.store.root) if len(counts) > 1 else None
    listed = [{"project": name, "runs": count} for name, count in counts.items()]
    return json_response({"projects": listed, "current": current if current in counts else None})


def run(request: Request) -> Response:
    from runar.cli.show import show_record

    api = _api(request)
    summary = _summary(api, request.path_params["ref"])
    record = show_record(api.store, summary, effective_status(summary))
    record["parent_run"] = summary.started.parent_run if summary.started else None
    # a point of a `runar sweep` links to its sweep's page (#/sweep/<sweep_id>)
    record["sweep"] = summary.sweep
    record["sweep_id"] = summary.started.sweep_id if summary.started else None
    record["sweep_point"] = summary.started.sweep_point if summary.started else None
    from runar.views.reproducibility import show_field

    with api.access.views() as views:  # a score and its reasons, in a rerun family only
        record["reproducibility"] = show_field(views, summary)
    for artifact in record["artifacts"]:
        artifact["url"] = artifact_url(summary.run_id, artifact["name"])
    return json_response(json_value(record))


def _keys(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [k for k in text.split(",") if k]


def run_metrics(request: Request) -> Response:
    from runar.views.anomaly_watch import anomalies_of

    api = _api(request)
    summary = _summary(api, request.path_params["ref"])
    q = request.query_params
    x = series.x_axis(q.get("x", "step"))
    points = series.points_param(q.get("points"))
    keys = _keys(q.get("keys")) or _keys(q.get("key"))
    last = series.last_param(q.get("limit"))
    long = api.access.metrics([summary.run_id], keys)
    found = series.curves(long, x, points, last, anomalies_of(summary))
    wanted = keys if keys is not None else sorted({k for _, k in found})
    out = [{"key": k, **found[(summary.run_id, k)]} for k in wanted if (summary.run_id, k) in found]
    return json_response({"run": summary.run_id, "x_axis": x, "series": out})


def overlay(request: Request) -> Response:
    api = _api(request)
    q = request.query_params
    key = q.get("key", "")
    if not key:
        raise InvalidQuery("key= is needed: the metric to overlay, e.g. key=loss")
    refs = _keys(q.get("runs")) or []
    if not refs:
        raise InvalidQuery("runs= is needed: run ids, prefixes or names, comma-separated")
    if len(refs) > MAX_OVERLAY_RUNS:
        raise InvalidQuery(f"at most {MAX_OVERLAY_RUNS} runs can be overlaid at once")
    x = series.x_axis(q.get("x", "step"))
    points = series.points_param(q.get("points"))
    run_ids = list(dict.fromkeys(api.table.resolve(ref) for ref in refs))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for run_id in run_ids:  # a run at a time: telling runs apart in one frame cost ~80 ms
        found |= series.curves(api.access.metrics([run_id], [key]), x, points)
    out = []
    for run_id in run_ids:
        row = api.table.row(run_id) or {}
        curve = found.get((run_id, key), {"x": [], "y": [], "nonfinite": [], "count": 0})
        out.append({"run": run_id, "name": row.get("name"), **curve})
    return json_response({"key": key, "x_axis": x, "series": out})


def steps(request: Request) -> Response:
    summary = _summary(_api(request), request.path_params["ref"])
    records = []
    for step in sorted(summary.steps.values(), key=lambda s: (s.started_ts or 0, s.step_id)):
        duration = None
        if step.started_ts and step.ended_ts:
            duration = (step.ended_ts - step.started_ts) / 1e9
        records.append(
            {
                "step_id": step.step_id,
                "name": step.name or step.step_id,
                "parent": step.parent,
                "status": step.status,
                "started_at": iso(step.started_ts),
                "started_at_ns": step.started_ts,
                "ended_at": iso(step.ended_ts),
                "ended_at_ns": step.ended_ts,
                "duration_s": duration,
                "error_type": step.error_type,
                "error": step.error,
                "metric_keys": list(step.metric_keys),
                "artifacts": list(step.artifacts),
            }
        )
    return json_response({"run": summary.run_id, "steps": records})


def artifacts(request: Request) -> Response:
    summary = _summary(_api(request), request.path_params["ref"])
    records = [
        {
            "name": a.name,
            "kind": a.kind,
            "size": a.size,
            "sha256": a.sha256,
            "step": a.workflow_step,
            "created_at": iso(a.ts),
            "url": artifact_url(summary.run_id, a.name),
        }
        for a in sorted(summary.artifacts.values(), key=lambda a: (a.ts, a.name))
    ]
    return json_response({"run": summary.run_id, "artifacts": records})


def artifact(request: Request) -> Response:
    api = _api(request)
    summary = _summary(api, request.path_params["ref"])
    name = request.path_params["name"]
    found = summary.artifacts.get(name)  # by name in the index: the URL is never a path
    path = artifact_file(api.store, summary.run_id, found) if found is not None else None
    if found is None or path is None:
        return json_response({"error": f"run {summary.run_id[:8]} has no artifact '{name}'"}, 404)
    media_type, inline = content_type(found, path)
    headers = {
        "content-disposition": disposition(found.name, inline),
        "content-security-policy": "sandbox",  # even opened directly, a file runs no script
        "cache-control": "no-store",
    }
    return FileResponse(path, media_type=media_type, headers=headers)


def logs(request: Request) -> Response:
    api = _api(request)
    summary = _summary(api, request.path_params["ref"])
    q = request.query_params
    after = _int_param(request, "after", 0)
    limit = max(1, min(_int_param(request, "limit", DEFAULT_LOG_CHUNKS), MAX_LOG_CHUNKS))
    stream = q.get("stream") or None
    if stream is not None and stream not in STREAMS:
        raise InvalidQuery(f"stream='{stream}' is not one of stdout, stderr")
    output = api.outputs.read(summary.run_id)
    chunks = output.chunks
    out = []
    pos = after
    while pos < len(chunks) and len(out) < limit:
        chunk = chunks[pos]
        if stream is None or chunk.stream == stream:
            out.append(
                {"pos": pos, "stream": chunk.stream, "text": chunk.text, "ts": iso(chunk.ts)}
            )
        pos += 1
    status = effective_status(summary)
    return json_response(
        {
            "run": summary.run_id,
            "chunks": out,
            "next": pos,
            "complete": status != "running" and pos >= len(chunks),
        }
    )


def system(request: Request) -> Response:
    api = _api(request)
    summary = _summary(api, request.path_params["ref"])
    samples = api.outputs.read(summary.run_id).samples
    indexes = sorted({g.index for s in samples for g in s.gpus})
    gpus = []
    for index in indexes:
        by_sample = [{g.index: g for g in s.gpus}.get(index) for s in samples]
        name = next((g.name for g in by_sample if g is not None and g.name), "")
        gpus.append(
            {
                "index": index,
                "name": name,
                "util_percent": [g.util_percent if g else None for g in by_sample],
                "mem_used": [g.mem_used if g else None for g in by_sample],
                "mem_total": [g.mem_total if g else None for g in by_sample],
            }
        )
    return json_response(
        json_value(
            {
                "run": summary.run_id,
                "t": [s.ts for s in samples],
                "cpu_percent": [s.cpu_percent for s in samples],
                "rss_bytes": [s.rss_bytes for s in samples],
                "ram_percent": [s.ram_percent for s in samples],
                "gpus": gpus,
                "duration_s": run_seconds(summary, effective_status(summary)),
            }
        )
    )


def sweeps(request: Request) -> Response:
    """Every `runar sweep`, newest first: status, points by status, script, space."""
    from runar.sweep.overview import list_sweeps

    api = _api(request)
    with api.access.lock:  # list_sweeps catches up: one index user at a time
        found = list_sweeps(api.store)
    return json_response({"sweeps": json_value(found)})


def sweep(request: Request) -> Response:
    """One sweep: its plan and a row per point (values, status, run, metrics), best marked."""
    from runar.sweep.overview import sweep_detail

    api = _api(request)
    if not api.store.exists:
        raise RunNotFound(f"no sweep matches '{request.path_params['ref']}'")
    ref, sort = request.path_params["ref"], request.query_params.get("sort")
    with api.access.lock:
        found = sweep_detail(api.store, ref, sort)
    return json_response(json_value(found))
