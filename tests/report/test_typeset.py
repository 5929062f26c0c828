"""report/typeset.py: user text reaches the PDF as typed, never as typst markup."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import runar.frames as frames
from runar.events import ArtifactAttached, MetricsLogged
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.report import run_data, typeset
from runar.store import Store
from runar.views import open_views

from .helpers import write_run

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("typst")

INJECTION = '#set page(width: 3cm) *bold* _em_ $x^2$ <lbl> @ref [b] \\ "q" // c'
A4_POINTS = (595, 842)


def hostile_report(store: Store) -> run_data.Report:
    run_id = write_run(
        store,
        "plain-name",
        {INJECTION: INJECTION, "nested": {"k": "#pagebreak()"}},
        {"loss": [1.0, 0.5, 0.25]},
        note=INJECTION,
    )
    with open_views(store) as views:
        summary = views.get(run_id)
    return run_data.run_report(store, summary, frames.metrics(store=store))


def test_markup_in_user_text_is_printed_not_obeyed(store: Store) -> None:
    reader = pypdf.PdfReader(io.BytesIO(typeset.pdf(hostile_report(store), "run")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert text.count("*bold* _em_ $x^2$ <lbl> @ref [b]") >= 3  # config key, value and note
    assert "#pagebreak()" in text
    page = reader.pages[0].mediabox
    assert (round(page.width), round(page.height)) == A4_POINTS  # the #set page was not run
    assert len(reader.pages) == 1


def test_a_key_logged_without_steps_is_drawn_by_its_order(store: Store) -> None:
    run_id = write_run(store, "stepless", {}, {})
    writer = JournalWriter(store.run_dir(run_id), run_id, role="sdk")
    for value in (3.0, 2.0, 1.0):
        writer.append(MetricsLogged(values={"score": value}))
    writer.close()
    points = frames.metrics(store=store)
    x, y = run_data.curves(points, run_id)["score"]
    assert list(x) == [0.0, 1.0, 2.0] and list(y) == [3.0, 2.0, 1.0]


def test_a_crashed_run_says_it_never_ended(store: Store) -> None:
    run_id = new_run_id()
    writes = (
        "import sys; from runar.journal import JournalWriter; "
        "from runar.events import RunStarted, MetricsLogged; "
        "w = JournalWriter(sys.argv[1], sys.argv[2], role='sdk'); "
        "w.append(RunStarted(run_id=sys.argv[2], name='cut')); "
        "w.append(MetricsLogged(values={'loss': 1.0}, step=0)); w.close()"
    )  # a process that logs and is gone, leaving no end: as after a kill -9
    subprocess.run([sys.executable, "-c", writes, str(store.run_dir(run_id)), run_id], check=True)
    with open_views(store) as views:
        summary = views.get(run_id)
        assert views.status(summary) == "crashed"  # its writer's pid is gone
    report = run_data.run_report(store, summary, frames.metrics(store=store))
    assert report.data["failure"]["error"] == run_data.CRASHED
    assert run_data.CRASHED in pypdf.PdfReader(io.BytesIO(typeset.pdf(report, "run"))).pages[
        0
    ].extract_text().replace("\n", " ")


def test_a_file_that_only_claims_to_be_an_image_is_listed_not_embedded(store: Store) -> None:
    run_id = write_run(store, "odd-artifact", {}, {"loss": [1.0, 0.5]})
    folder = store.artifacts_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plot.png").write_bytes(b"not a png at all")
    writer = JournalWriter(store.run_dir(run_id), run_id, role="sdk")
    writer.append(ArtifactAttached(name="plot", kind="file", size=16, sha256="0", path="plot.png"))
    writer.close()
    with open_views(store) as views:
        summary = views.get(run_id)
    report = run_data.run_report(store, summary, frames.metrics(store=store))
    assert [(a["name"], a["image"]) for a in report.data["artifacts"]] == [("plot", None)]
    assert "plot" in pypdf.PdfReader(io.BytesIO(typeset.pdf(report, "run"))).pages[0].extract_text()
