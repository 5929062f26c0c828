"""report/latex.py: booktabs structure, escaping, numbers; compiled by pdflatex when present."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from runar.report import latex
from runar.report.table import Cell, ResultTable, Row, build_table, select_runs
from runar.store import Store

from .helpers import write_run

HOSTILE = r"a_b %c &d #e $f {g} ~h ^i \j <k> |l"
TEXT_SPECIALS = set("_%#$~^")  # never bare in text; & only between cells, { } only balanced


def strip_escapes(tex: str) -> str:
    """The LaTeX with every escaped character and control word removed."""
    tex = re.sub(r"\\[_%&#${}|]", "", tex)
    return re.sub(r"\\[A-Za-z]+", "", tex)


def check_table(tex: str, columns: int) -> list[list[str]]:
    """Assert the table is well formed; return its body rows split into cells."""
    lines = tex.strip().splitlines()
    assert lines[0] == r"\begin{table}[t]" and lines[-1] == r"\end{table}"
    bare = strip_escapes(tex)
    depth = 0
    for ch in bare:  # braces balance once the escaped ones are gone
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    tabular = lines.index(next(line for line in lines if line.startswith(r"\begin{tabular}")))
    assert lines[tabular + 1] == r"\toprule"
    assert lines[tabular + 3] == r"\midrule"
    assert lines[-3:] == [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    assert sum(line in (r"\toprule", r"\midrule", r"\bottomrule") for line in lines) == 3
    rows = [lines[tabular + 2], *lines[tabular + 4 : -3]]
    for line in lines:
        outside_math = re.sub(r"\$[^$]*\$", "", strip_escapes(line))  # only $…$ pairs are math
        assert not set(outside_math) & TEXT_SPECIALS, line
        assert line in rows or "&" not in outside_math, line
    split = []
    for row in rows:
        assert row.endswith(r" \\")
        cells = [c.strip() for c in re.split(r"(?<!\\)&", row.removesuffix(r" \\"))]
        assert len(cells) == columns
        split.append(cells)
    return split


def hostile_table(store: Store) -> ResultTable:
    for seed in range(2):
        write_run(store, f"h{seed}", {"model": HOSTILE}, {"acc_top%1": [0.5 + seed / 10]})
    write_run(store, "plain", {"model": "plain"}, {"acc_top%1": [0.4]})
    runs = select_runs(store, [], None)
    return build_table(runs, ["acc_top%1"], ["model"], caption=HOSTILE, label="tab:my res#1")


def test_hostile_names_are_escaped(store: Store) -> None:
    tex = latex.render(hostile_table(store))
    rows = check_table(tex, 3)
    escaped = (
        r"a\_b \%c \&d \#e \$f \{g\} \textasciitilde{}h \textasciicircum{}i "
        r"\textbackslash{}j \textless{}k\textgreater{} \textbar{}l"
    )
    assert rows[0][2] == r"acc\_top\%1 $\uparrow$"
    assert [r[0] for r in rows[1:]] == [escaped, "plain"]
    assert rf"\caption{{{escaped}}}" in tex
    assert r"\label{tab:my-res-1}" in tex


def test_cells_are_mean_pm_std_with_best_in_bold(seeded: Store) -> None:
    table = build_table(select_runs(seeded, [], None), ["acc", "val/loss"], ["model"])
    rows = check_table(latex.render(table), 4)
    assert rows[0] == ["model", "$n$", r"acc $\uparrow$", r"val/loss $\downarrow$"]
    labels = [r[0] for r in rows[1:]]
    assert labels == [r"mlp 100\%", r"resnet\_18", r"vit \& co"]
    vit = rows[3]
    assert re.fullmatch(r"\\textbf\{\\boldmath\$0\.93\d+ \\pm 0\.00\d+\$\}", vit[2]), vit[2]
    mlp = rows[1]
    assert mlp[1] == "3" and mlp[3].endswith(r"{\scriptsize ($n=2$)}")  # one seed lacks it
    assert not mlp[2].startswith(r"\textbf")


def test_numbers_match_the_cells() -> None:
    rows = [
        Row("a", 3, [Cell(0.91234, 0.00412, 3, best=True)]),
        Row("b", 1, [Cell(None, None, 0)]),
        Row("c", 2, [Cell(2.5e-5, 1.0e-6, 2)]),
        Row("d", 1, [Cell(1.35e-4, None, 1)]),
    ]
    tex = latex.render(ResultTable("model", ["acc"], [False], rows))
    cells = [r[2] for r in check_table(tex, 3)[1:]]
    assert cells == [
        r"\textbf{\boldmath$0.912 \pm 0.004$}",
        "--",
        r"$(2.50 \pm 0.10) \times 10^{-5}$",
        r"$1.35 \times 10^{-4}$",
    ]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine")
def test_the_table_compiles_with_pdflatex(store: Store, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    body = latex.render(hostile_table(store))
    doc = tmp_path / "t.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
        + body
        + "\\end{document}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Missing" not in done.stdout and "Undefined" not in done.stdout
    text = pypdf.PdfReader(tmp_path / "t.pdf").pages[0].extract_text()
    assert "0.55" in text and "0.07" in text  # mean and std of 0.5 and 0.6
    assert "%c &d #e $ f {g}" in text and "\\j <k> |l" in text  # OT1 draws _ as a rule


@pytest.mark.parametrize(
    ("good", "bad"),
    [(r"\_", "_"), (r"\%", "%"), (r"\#", "#"), (r"\{g\}", "{g"), (r"\bottomrule", "")],
)
def test_the_checker_catches_a_missed_escape(store: Store, good: str, bad: str) -> None:
    tex = latex.render(hostile_table(store))
    check_table(tex, 3)
    with pytest.raises(AssertionError):
        check_table(tex.replace(good, bad, 1), 3)
