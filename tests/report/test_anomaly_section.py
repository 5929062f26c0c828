"""The run report's Anomalies section: what views/anomalies.py found, in the PDF and the HTML."""

from __future__ import annotations

import math

import pytest

import runar.frames as frames
from runar.report import run_data, typeset, webpage
from runar.store import Store
from runar.views import open_views

from .helpers import write_run

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("typst")


def test_a_nan_at_step_200_is_listed(store: Store, tmp_path) -> None:
    loss = [1.0 / (1 + 0.02 * i) for i in range(300)]
    loss[200] = math.nan
    write_run(store, "went-nan", {"lr": 3.0}, {"loss": loss})
    with open_views(store) as views:
        summary = views.get("went-nan")
    report = run_data.run_report(store, summary, frames.metrics(store=store))
    found = [(a["rule"], a["key"], a["steps"], a["level"]) for a in report.data["anomalies"]]
    assert ("nonfinite", "loss", "200", "error") in found
    chart = report.files[report.data["charts"][0]["file"]]
    assert b"stroke-dasharray" in chart and chart.count(b"stroke: #c62828") == 3  # x marks + line
    target = tmp_path / "r.pdf"
    target.write_bytes(typeset.pdf(report, "run"))
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
    assert "Anomalies" in text and "nonfinite" in text
    page = webpage.run_page(report)
    assert "<h2>Anomalies</h2>" in page and "nonfinite" in page


def test_a_healthy_run_has_no_anomalies_section(store: Store) -> None:
    write_run(store, "fine", {"lr": 0.1}, {"loss": [1.0 / (1 + 0.02 * i) for i in range(50)]})
    with open_views(store) as views:
        summary = views.get("fine")
    report = run_data.run_report(store, summary, frames.metrics(store=store))
    assert report.data["anomalies"] == []
    chart = report.files[report.data["charts"][0]["file"]]
    assert b"#c62828" not in chart and b"stroke-dasharray" not in chart
    assert "Anomalies" not in webpage.run_page(report)
