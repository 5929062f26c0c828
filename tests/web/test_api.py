"""The REST API against a real uvicorn over a real store (see docs/api.md)."""

from __future__ import annotations

import hashlib
import math
from urllib.parse import quote

import pytest

from runar.cli.show import show_record
from runar.events import ArtifactAttached, GpuSample, MetricsLogged, SystemSampled
from runar.journal import JournalWriter
from runar.views import open_views
from tests.cli.helpers import write_run
from tests.web.client import get_json, request
from tests.web.conftest import XSS

ROW_FIELDS = {
    "id", "short_id", "name", "status", "started_at", "ended_at", "duration_s", "commit_sha",
    "branch", "dirty", "command", "tags", "config", "metrics", "error", "parent_run",
}  # fmt: skip


def _names(data):
    return sorted(r["name"] for r in data["runs"])


def test_runs_lists_every_run_with_its_fields(served):
    data = get_json(served.base, "/api/runs")
    assert data["total"] == 3
    assert data["next_cursor"] is None
    assert _names(data) == sorted(["alpha", "beta", XSS])
    for row in data["runs"]:
        assert set(row) >= ROW_FIELDS
    alpha = next(r for r in data["runs"] if r["name"] == "alpha")
    assert alpha["status"] == "completed"
    assert alpha["tags"] == ["baseline"]
    assert alpha["config"]["lr"] == 0.001
    assert alpha["config"]["model.layers"] == 2
    assert "train.py --epochs 2" in alpha["command"]


def test_runs_are_newest_first(served):
    data = get_json(served.base, "/api/runs")
    starts = [r["started_at_ns"] for r in data["runs"]]
    assert starts == sorted(starts, reverse=True)


def test_nonfinite_last_values_are_spelled_out(served):
    rows = {r["name"]: r for r in get_json(served.base, "/api/runs")["runs"]}
    assert rows["alpha"]["metrics"] == {"loss": "nan", "acc": 0.7}
    assert rows["beta"]["metrics"] == {"loss": "inf"}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("lr<0.01", ["alpha"]),
        ("lr>=0.1", ["beta"]),
        ("acc>0.6", ["alpha"]),
        ("status:failed", ["beta"]),
        ("tag:baseline", ["alpha"]),
        ("alph", ["alpha"]),
        ("name:BET", ["beta"]),
        ("lr<1 status:completed", ["alpha"]),
        ("layers=2", ["alpha"]),
        ("nosuchkey>1", []),
    ],
)
def test_where_filters_runs(served, where, expected):
    data = get_json(served.base, "/api/runs?where=" + quote(where))
    assert _names(data) == expected
    assert data["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "first"),
    [("-metrics.acc", "alpha"), ("config.lr", "alpha"), ("-config.lr", "beta"), ("-name", "beta")],
)
def test_sort_by_a_column(served, sort, first):
    data = get_json(served.base, "/api/runs?sort=" + quote(sort))
    assert data["runs"][0]["name"] == first
    assert data["total"] == 3


def test_sort_by_an_unknown_column_is_400(served):
    reply = request(served.base, "/api/runs?sort=bogus")
    assert reply.status == 400
    assert "bogus" in reply.json()["error"]


def test_limit_and_cursor_page_through_every_run_once(served):
    seen = []
    path = "/api/runs?limit=2"
    while True:
        data = get_json(served.base, path)
        seen += [r["id"] for r in data["runs"]]
        if data["next_cursor"] is None:
            break
        path = f"/api/runs?limit=2&cursor={data['next_cursor']}"
    assert sorted(seen) == sorted(served.runs.values())


@pytest.mark.parametrize("how", ["id", "prefix", "name"])
def test_run_by_id_prefix_or_name(served, how):
    run_id = served.runs["alpha"]
    ref = {"id": run_id, "prefix": run_id[:6], "name": "alpha"}[how]
    record = get_json(served.base, f"/api/runs/{ref}")
    assert record["id"] == run_id
    assert record["name"] == "alpha"


def test_run_record_has_everything_show_json_has(served):
    run_id = served.runs["alpha"]
    record = get_json(served.base, f"/api/runs/{run_id}")
    with open_views(served.store) as views:
        summary = views.get(run_id)
        expected = show_record(served.store, summary, views.status(summary))
    assert set(expected) <= set(record)
    assert record["config"] == {"lr": 0.001, "model": {"layers": 2}, "epochs": 2}
    assert record["metrics"]["loss"]["last"] == "nan"
    assert record["artifacts"][0]["url"] == f"/api/runs/{run_id}/artifacts/model.pt"


def test_unknown_run_is_404_with_a_json_error(served):
    reply = request(served.base, "/api/runs/nosuchrun")
    assert reply.status == 404
    assert "nosuchrun" in reply.json()["error"]


def test_ambiguous_name_is_409_listing_candidates(served):
    a = write_run(served.store, name="twin")
    b = write_run(served.store, name="twin")
    _wait_for_runs(served, 5)
    reply = request(served.base, "/api/runs/twin")
    assert reply.status == 409
    error = reply.json()["error"]
    assert a[:8] in error and b[:8] in error


def _wait_for_runs(served, n):
    import time

    deadline = time.monotonic() + 20
    while get_json(served.base, "/api/runs")["total"] < n:
        assert time.monotonic() < deadline, "the server never saw the new runs"
        time.sleep(0.05)


def test_run_metrics_all_keys_with_nonfinite_points(served):
    data = get_json(served.base, f"/api/runs/{served.runs['alpha']}/metrics")
    curves = {s["key"]: s for s in data["series"]}
    assert sorted(curves) == ["acc", "loss"]
    assert curves["acc"]["x"] == [0, 1] and curves["acc"]["y"] == [0.5, 0.7]
    assert curves["loss"]["y"] == [1.0, None]
    assert curves["loss"]["nonfinite"] == [[1, "nan"]]
    assert curves["loss"]["count"] == 2


def test_run_metrics_time_and_relative_axes(served):
    base = f"/api/runs/{served.runs['alpha']}/metrics?keys=acc"
    relative = get_json(served.base, base + "&x=relative")["series"][0]["x"]
    absolute = get_json(served.base, base + "&x=time")["series"][0]["x"]
    assert relative[0] >= 0 and relative[1] - relative[0] == pytest.approx(1.0)
    assert absolute[1] - absolute[0] == pytest.approx(1.0)
    assert absolute[0] > 1e9  # Unix seconds


def test_run_metrics_limit_keeps_the_latest_points(served):
    data = get_json(served.base, f"/api/runs/{served.runs['alpha']}/metrics?keys=acc&limit=1")
    assert data["series"][0]["x"] == [1] and data["series"][0]["y"] == [0.7]
    assert data["series"][0]["count"] == 1
    bad = request(served.base, f"/api/runs/{served.runs['alpha']}/metrics?limit=-3")
    assert bad.status == 400


def test_bad_axis_is_400(served):
    assert request(served.base, f"/api/runs/{served.runs['alpha']}/metrics?x=epoch").status == 400


def test_long_curve_is_downsampled_keeping_its_extremes(served):
    values = [{"loss": math.sin(i / 50) + (5.0 if i == 777 else 0.0)} for i in range(5_000)]
    run_id = write_run(served.store, name="long", metrics=values)
    _wait_for_runs(served, 4)
    curve = get_json(served.base, f"/api/runs/{run_id}/metrics?keys=loss&points=400")["series"][0]
    assert curve["count"] == 5_000
    assert len(curve["x"]) <= 400
    assert curve["x"][0] == 0 and curve["x"][-1] == 4_999
    assert 777 in curve["x"]  # the spike survives
    assert max(curve["y"]) == pytest.approx(values[777]["loss"])


def test_overlay_of_several_runs(served):
    data = get_json(served.base, "/api/metrics?runs=alpha,beta&key=loss")
    assert data["key"] == "loss"
    by_name = {s["name"]: s for s in data["series"]}
    assert by_name["alpha"]["y"] == [1.0, None]
    assert by_name["beta"]["nonfinite"] == [[0, "inf"]]
    assert by_name["beta"]["run"] == served.runs["beta"]


def test_overlay_needs_a_key(served):
    reply = request(served.base, "/api/metrics?runs=alpha")
    assert reply.status == 400 and "key" in reply.json()["error"]


def test_steps(served):
    steps = get_json(served.base, "/api/runs/alpha/steps")["steps"]
    assert [s["name"] for s in steps] == ["train"]
    assert steps[0]["status"] == "completed"
    assert steps[0]["duration_s"] == pytest.approx(5.0)
    assert steps[0]["metric_keys"] == ["acc", "loss"]


def test_artifacts_list_and_download(served):
    listed = get_json(served.base, "/api/runs/alpha/artifacts")["artifacts"]
    assert [(a["name"], a["size"]) for a in listed] == [("model.pt", 7)]
    reply = request(served.base, listed[0]["url"])
    assert reply.status == 200
    assert reply.body == b"weights"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-disposition"].startswith("attachment")


def _attach(store, run_id, name, data):
    folder = store.artifacts_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    w = JournalWriter(store.run_dir(run_id), run_id, role="sdk")
    w.append(
        ArtifactAttached(
            name=name,
            kind="file",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            path=name,
        )
    )
    w.close()


@pytest.mark.parametrize(
    ("name", "data", "kind", "inline"),
    [
        ("plot.png", b"\x89PNG\r\n\x1a\n", "image/png", True),
        ("metrics.json", b'{"a": 1}', "application/json", True),
        ("notes.txt", b"hello", "text/plain; charset=utf-8", True),
        ("chart.svg", b"<svg onload=alert(1)></svg>", "application/octet-stream", False),
        ("report.html", b"<script>alert(1)</script>", "application/octet-stream", False),
    ],
)
def test_artifact_types_inline_only_when_harmless(served, name, data, kind, inline):
    run_id = served.runs["beta"]
    _attach(served.store, run_id, name, data)
    deadline = __import__("time").monotonic() + 20
    while request(served.base, f"/api/runs/{run_id}/artifacts/{name}").status != 200:
        assert __import__("time").monotonic() < deadline
    reply = request(served.base, f"/api/runs/{run_id}/artifacts/{name}")
    assert reply.body == data
    assert reply.headers["content-type"] == kind
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith("inline" if inline else "attachment")
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_logs_in_order_with_positions(served):
    data = get_json(served.base, "/api/runs/alpha/logs")
    assert [(c["pos"], c["stream"], c["text"]) for c in data["chunks"]] == [
        (0, "stdout", "epoch 1 done\n"),
        (1, "stderr", "warning: slow\n"),
    ]
    assert data["next"] == 2
    assert data["complete"] is True


def test_logs_after_limit_and_stream(served):
    page = get_json(served.base, "/api/runs/alpha/logs?limit=1")
    assert [c["pos"] for c in page["chunks"]] == [0] and page["next"] == 1
    assert page["complete"] is False
    rest = get_json(served.base, f"/api/runs/alpha/logs?after={page['next']}")
    assert [c["text"] for c in rest["chunks"]] == ["warning: slow\n"]
    errs = get_json(served.base, "/api/runs/alpha/logs?stream=stderr")
    assert [c["stream"] for c in errs["chunks"]] == ["stderr"]


def test_system_samples_with_a_gpu(served):
    run_id = served.runs["alpha"]
    w = JournalWriter(served.store.run_dir(run_id), run_id, role="sampler")
    w.append(
        SystemSampled(
            cpu_percent=50.0,
            rss_bytes=1000,
            gpus=[GpuSample(index=0, name="A100", util_percent=90.0, mem_used=5)],
        )
    )
    w.append(SystemSampled(cpu_percent=70.0, rss_bytes=2000))
    w.close()
    data = get_json(served.base, f"/api/runs/{run_id}/system")
    assert data["cpu_percent"] == [50.0, 70.0]
    assert data["rss_bytes"] == [1000, 2000]
    assert len(data["t"]) == 2
    assert data["gpus"] == [
        {
            "index": 0,
            "name": "A100",
            "util_percent": [90.0, None],
            "mem_used": [5, None],
            "mem_total": [None, None],
        }
    ]


def test_unknown_endpoint_is_a_json_404(served):
    reply = request(served.base, "/api/nothing")
    assert reply.status == 404
    assert "error" in reply.json()


def test_xss_strings_come_back_as_plain_json_strings(served):
    run_id = served.runs["xss"]
    row = next(r for r in get_json(served.base, "/api/runs")["runs"] if r["id"] == run_id)
    assert row["name"] == XSS
    assert row["tags"] == [XSS]
    assert row["config"][XSS] == XSS
    logs = get_json(served.base, f"/api/runs/{run_id}/logs")
    assert logs["chunks"][0]["text"] == XSS + "\n"


def test_a_metric_logged_later_shows_up(served):
    run_id = served.runs["alpha"]
    w = JournalWriter(served.store.run_dir(run_id), run_id, role="sdk")
    w.append(MetricsLogged(values={"acc": 0.9}, step=2))
    w.close()
    import time

    deadline = time.monotonic() + 20
    while True:
        curve = get_json(served.base, f"/api/runs/{run_id}/metrics?keys=acc")["series"][0]
        if curve["count"] == 3:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert curve["y"] == [0.5, 0.7, 0.9]


@pytest.mark.parametrize(
    "query",
    [
        "/api/runs?limit=%C2%B2",
        "/api/runs?cursor=%C2%B2",
        "/api/runs/alpha/metrics?points=%C2%B2",
        "/api/runs/alpha/metrics?limit=%C2%B2",
        "/api/runs/alpha/logs?after=%C2%B2",
        "/api/runs/alpha/logs?limit=%C2%B2",
    ],
)
def test_a_non_ascii_digit_in_a_number_parameter_is_a_400_naming_it(served, query):
    reply = request(served.base, query)  # '²' passed str.isdigit() and made int() a 500
    assert reply.status == 400, reply.body
    name = query.split("?")[1].split("=")[0]
    assert name in reply.json()["error"] and "²" in reply.json()["error"]


def test_a_cursor_past_any_64_bit_offset_is_an_empty_page(served):
    data = get_json(served.base, "/api/runs?cursor=" + "9" * 30)  # was a 500: slice overflow
    assert data["runs"] == [] and data["total"] == 3 and data["next_cursor"] is None


def test_a_huge_logs_position_comes_back_as_a_number_javascript_holds(served):
    data = get_json(served.base, "/api/runs/alpha/logs?after=" + "9" * 30)
    assert data["chunks"] == [] and data["next"] == 2**53
