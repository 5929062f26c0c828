"""`runar report run|compare` on runs recorded by the real runner: PDF text, PNG pages, HTML."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runar.frames as frames
from runar.report import run_data, typeset
from runar.store import Store
from runar.views import open_views

from .helpers import run_main

pypdf = pytest.importorskip("pypdf")
Image = pytest.importorskip("PIL.Image")
ImageStat = pytest.importorskip("PIL.ImageStat")
pytest.importorskip("typst")

SCRIPT = Path(__file__).parent / "scripts" / "train_steps.py"
NAME = 'logreg #1 *fast* [lr] "quoted" $x$ \\n'  # typst and HTML specials in the name
STEPS = ("prepare data", "train", "evaluate")
NOTE = "validation accuracy is close to the noise ceiling"


def record(root: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    """`runar -n NAME train_steps.py ARGS`, started."""
    env = {**os.environ, "RUNAR_DIR": str(root), "RUNAR_FLUSH_INTERVAL": "0.05"}
    env.pop("RUNAR_RUN_ID", None)
    command = [sys.executable, "-m", "runar", "-n", name, str(SCRIPT), *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs of a real script, all at once: a hostile name, a slower lr, a failure."""
    root = tmp_path_factory.mktemp("reports") / ".runar"
    runs = [record(root, NAME), record(root, "slow-lr", "--lr", "0.05")]
    runs.append(record(root, "diverged", "--fail"))
    codes = [run.wait(timeout=60) for run in runs]
    assert codes == [0, 0, 1]  # the --fail run fails on purpose
    return root


@pytest.fixture
def store(recorded: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("RUNAR_DIR", str(recorded))
    return Store(recorded)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def report_of(store: Store, ref: str) -> run_data.Report:
    with open_views(store) as views:
        summary = views.get(ref)
    points = frames.metrics(runs=[summary.run_id], store=store, catch_up=False)
    return run_data.run_report(store, summary, points)


def test_the_pdf_names_the_run_its_steps_and_its_note(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    code, _, err = run_main("report", "run", NAME, "-o", str(target))
    assert code == 0, err
    reader = pypdf.PdfReader(target)
    text = pdf_text(target)
    assert NAME in text  # shown as typed: no special was read as typst markup
    for step in STEPS:
        assert step in text
    assert NOTE in text
    assert "model.name" in text and "logreg" in text
    assert "weights_heatmap" in text
    assert sum(len(page.images) for page in reader.pages) >= 1  # the PNG artifact, embedded


def test_png_pages_exist_and_are_not_blank(store: Store) -> None:
    pages = typeset.png_pages(report_of(store, NAME), "run")
    assert pages
    ink = []
    for page in pages:
        image = Image.open(io.BytesIO(page))
        assert image.width > 500 and image.height > 700
        ink.append(ImageStat.Stat(image.convert("L")).stddev[0])
    assert min(ink) > 2 and ink[0] > 20  # a blank page is 0; the first holds charts and text
    first = Image.open(io.BytesIO(pages[0])).convert("RGB")
    colours = first.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # charts and the heatmap, not only black text on white


def test_the_report_holds_the_steps_charts_and_the_image(store: Store) -> None:
    report = report_of(store, NAME)
    data = report.data
    assert [s["name"] for s in data["steps"]] == list(STEPS)
    assert all(s["status"] == "completed" for s in data["steps"])
    first, last = data["steps"][0], data["steps"][-1]
    assert first["offset"] == 0 and last["offset"] + last["width"] == pytest.approx(1, abs=0.01)
    assert [c["title"] for c in data["charts"]] == ["acc", "loss"]  # train/ and val/loss together
    assert data["artifacts"][0]["image"] in report.files
    assert report.files[data["artifacts"][0]["image"]].startswith(b"\x89PNG")
    assert data["failure"] is None


def test_the_html_is_self_contained(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _, err = run_main("report", "run", NAME, "-o", str(target))
    assert code == 0, err
    page = target.read_text()
    assert "logreg #1 *fast* [lr] &quot;quoted&quot; $x$ \\n" in page
    for step in (*STEPS, NOTE):
        assert step in page
    assert "data:image/png;base64," in page and "data:image/svg+xml;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_a_failed_run_says_why(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "failed.pdf"
    code, _, err = run_main("report", "run", "diverged", "-o", str(target))
    assert code == 0, err
    text = pdf_text(target)
    assert "Failure" in text and "val/loss diverged at epoch 10" in text
    steps = report_of(store, "diverged").data["steps"]
    assert [(s["name"], s["status"]) for s in steps[:2]] == [
        ("prepare data", "completed"),
        ("train", "failed"),
    ]


def test_compare_puts_runs_side_by_side(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "cmp.pdf"
    code, _, err = run_main("report", "compare", NAME, "slow-lr", "-o", str(target))
    assert code == 0, err
    text = pdf_text(target)
    assert NAME in text and "slow-lr" in text
    assert "Config that differs" in text and "0.05" in text
    html_target = tmp_path / "cmp.html"
    code, _, err = run_main("report", "compare", NAME, "slow-lr", "-o", str(html_target))
    assert code == 0, err
    page = html_target.read_text()
    assert "<h2>Final metrics</h2>" in page and "<b>" in page
    assert page.count("data:image/svg+xml;base64,") == 3  # acc, train/loss, val/loss overlaid


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "slow-lr", "-o", "r.docx"], "cannot tell the format of 'r.docx'"),
        (["compare", "slow-lr", "-o", "c.pdf"], "name at least two runs to compare"),
        (["run", "nope", "-o", "r.pdf"], "no run matches 'nope'"),
    ],
)
def test_mistakes_are_one_line(store: Store, args: list[str], message: str) -> None:
    code, _, err = run_main("report", *args)
    assert code == 1 and err.count("\n") == 1 and message in err, err


def test_a_missing_extra_is_one_line(store: Store, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['typst'] = None; from runar.cli import main; "
        f"main(['report', 'run', 'slow-lr', '-o', {str(tmp_path / 'r.pdf')!r}])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "runar report needs the report extra: pip install 'runar[report]'"
    )
    assert done.stderr.count("\n") == 1 and not (tmp_path / "r.pdf").exists()
