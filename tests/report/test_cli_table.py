"""`runar report table` from the command line: formats, files, selection, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from runar.store import Store

from .helpers import run_main


def test_latex_is_the_default_on_stdout(seeded: Store) -> None:
    code, out, _ = run_main(
        "report", "table", "-m", "acc,val/loss", "-g", "config.model", "--label", "tab:r"
    )
    assert code == 0
    assert out.startswith(r"\begin{table}") and r"\label{tab:r}" in out
    assert r"vit \& co & 3 & \textbf{" in out


@pytest.mark.parametrize(
    ("suffix", "start"),
    [(".tex", r"\begin{table}"), (".md", "| model |"), (".csv", "model,runs"), (".html", "<table")],
)
def test_the_file_suffix_picks_the_format(seeded: Store, tmp_path: Path, suffix, start) -> None:
    target = tmp_path / f"results{suffix}"
    code, out, err = run_main("report", "table", "-m", "acc", "-g", "model", "-o", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err
    assert target.read_text().startswith(start)


def test_refs_where_and_best_values_select_what_is_shown(seeded: Store) -> None:
    code, out, _ = run_main(
        "report", "table", "resnet_18-s0", "resnet_18-s1", "vit & co-s0",
        "-m", "acc", "-g", "model", "-F", "csv", "--where", "seed<1", "--value", "best",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["resnet_18", "1"], ["vit & co", "1"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "nope", "-g", "model"], "no selected run has a metric 'nope'; they have: acc,"),
        (["-m", "acc", "-o", "x.docx"], "cannot tell the format of 'x.docx'"),
        (["-m", "acc", "--where", "acc>2"], "no run is selected"),
        (["-m", "acc", "no-such-run"], "no run matches 'no-such-run'"),
        (["-m", "acc", "-F", "csv", "-o", "/"], "cannot write '/'"),
    ],
)
def test_mistakes_are_one_line(seeded: Store, args: list[str], message: str) -> None:
    code, out, err = run_main("report", "table", *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_an_empty_store_says_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNAR_DIR", str(tmp_path / "none" / ".runar"))
    code, _, err = run_main("report", "table", "-m", "acc")
    assert code == 1 and "no runs yet" in err


def test_a_metric_is_found_whatever_its_case(seeded: Store) -> None:
    code, out, err = run_main("report", "table", "-m", "ACC", "-F", "markdown")
    assert code == 0, err
    assert out.splitlines()[0].startswith("| run | n | acc ↑ |") and out.endswith("|\n")


def test_comparing_a_run_with_itself_is_refused(seeded: Store) -> None:
    code, _, err = run_main("report", "compare", "resnet_18-s0", "resnet_18-s0", "-o", "c.html")
    assert code == 1 and err.count("\n") == 1
    assert "'resnet_18-s0' and 'resnet_18-s0' name one run" in err


def test_a_sweep_name_stands_for_its_points(store: Store) -> None:
    from tests.sweep.conftest import sweep_with_runs

    sweep_with_runs(store)  # "web": web-0 and web-1 with val/loss 0.7 and 0.2
    code, out, err = run_main("report", "table", "web", "-m", "val/loss", "-F", "csv")
    assert code == 0, err
    assert sorted(line.split(",")[0] for line in out.splitlines()[1:]) == ["web-0", "web-1"]
    code, _, err = run_main("report", "run", "web", "-o", "web.html")
    assert code == 1 and "web is a sweep, not a run" in err
