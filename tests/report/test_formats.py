"""report/formats.py: the results table as Markdown, CSV and HTML."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from runar.report import formats
from runar.report.table import ResultTable, build_table, select_runs
from runar.store import Store

from .helpers import write_run

HOSTILE = "<script>alert('x')</script> | *bold* _it_ & [link](y)"


@pytest.fixture
def table(seeded: Store) -> ResultTable:
    runs = select_runs(seeded, [], None)
    return build_table(runs, ["acc", "val/loss"], ["model"], caption="Seeds & models")


def test_markdown_is_a_pipe_table_with_the_best_in_bold(table: ResultTable) -> None:
    lines = formats.markdown(table).splitlines()
    assert lines[0] == "| model | n | acc ↑ | val/loss ↓ |"
    assert lines[1] == "| --- | ---: | :---: | :---: |"
    cells = [line.strip("|").split(" | ") for line in lines[2:5]]
    assert [c[0].strip() for c in cells] == ["mlp 100%", "resnet\\_18", "vit \\& co"]
    assert cells[2][2].startswith("**0.9") and cells[2][2].endswith("**")
    assert cells[0][3].strip().endswith("(n=2)")
    assert lines[-1] == "Table: Seeds \\& models"


def test_markdown_escapes_what_would_render(store: Store) -> None:
    write_run(store, "x", {"model": HOSTILE}, {"acc": [0.5]})
    text = formats.markdown(build_table(select_runs(store, [], None), ["acc"], ["model"]))
    row = text.splitlines()[2]
    assert row.count(" | ") == 2  # the | in the name is escaped, so no extra column
    assert r"\<script\>" in row and r"\*bold\*" in row and r"\_it\_" in row and r"\[link\]" in row


def test_csv_holds_full_precision_numbers(table: ResultTable) -> None:
    records = list(csv.DictReader(io.StringIO(formats.csv_text(table))))
    assert [r["model"] for r in records] == ["mlp 100%", "resnet_18", "vit & co"]
    for record, row in zip(records, table.rows, strict=True):
        assert float(record["acc mean"]) == row.cells[0].mean
        assert float(record["acc std"]) == row.cells[0].std
        assert int(record["val/loss n"]) == row.cells[1].n
    assert [r["acc best"] for r in records] == ["false", "false", "true"]


class Cells(HTMLParser):
    """Text of each cell, and which cells hold a <b>."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.open = False
        self.bold: set[tuple[int, int]] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")
            self.open = True
        elif tag == "b":
            self.bold.add((len(self.rows) - 1, len(self.rows[-1]) - 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.open = False

    def handle_data(self, data: str) -> None:
        if self.open:
            self.rows[-1][-1] += data


def test_html_escapes_names_and_bolds_the_best(store: Store) -> None:
    write_run(store, "x", {"model": HOSTILE}, {"acc": [0.9]})
    write_run(store, "y", {"model": "plain"}, {"acc": [0.5]})
    text = formats.html_table(build_table(select_runs(store, [], None), ["acc"], ["model"]))
    assert "<script>" not in text
    parser = Cells()
    parser.feed(text)
    assert "script" not in parser.tags
    assert parser.rows[0] == ["model", "n", "acc ↑"]
    assert parser.rows[1][0] == HOSTILE  # the browser shows exactly the name
    assert parser.bold == {(1, 2)}
