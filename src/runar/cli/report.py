"""`runar report table|run|compare`: results tables and run reports; the work is in runar.report."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Final

import typer

from runar.cli.access import NO_RUNS_HINT, current_store, existing_views
from runar.errors import RunNotFound, UsageError

app = typer.Typer(
    help="Results tables (LaTeX, Markdown, CSV, HTML) and run reports (PDF, HTML).",
    no_args_is_help=True,
    add_completion=False,
)


class TableFormat(str, Enum):
    latex = "latex"
    markdown = "markdown"
    csv = "csv"
    html = "html"


class ValueKind(str, Enum):
    last = "last"
    best = "best"


class ReportFormat(str, Enum):
    pdf = "pdf"
    html = "html"


TABLE_SUFFIXES: Final = {
    ".tex": TableFormat.latex,
    ".md": TableFormat.markdown,
    ".csv": TableFormat.csv,
    ".html": TableFormat.html,
    ".htm": TableFormat.html,
}
REPORT_SUFFIXES: Final = {
    ".pdf": ReportFormat.pdf,
    ".html": ReportFormat.html,
    ".htm": ReportFormat.html,
}
MAX_COMPARED: Final = 10  # side by side, more runs stop fitting on a page


def _split(values: list[str] | None) -> list[str]:
    """``--metrics a,b --metrics c`` → [a, b, c]."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _table_format(fmt: TableFormat | None, output: Path | None) -> TableFormat:
    if fmt is not None:
        return fmt
    if output is not None:
        found = TABLE_SUFFIXES.get(output.suffix.lower())
        if found is None:
            raise UsageError(
                f"cannot tell the format of '{output}'; pass --format latex|markdown|csv|html"
            )
        return found
    return TableFormat.latex


def _report_format(fmt: ReportFormat | None, output: Path) -> ReportFormat:
    if fmt is not None:
        return fmt
    found = REPORT_SUFFIXES.get(output.suffix.lower())
    if found is None:
        raise UsageError(f"cannot tell the format of '{output}'; name a .pdf or .html file")
    return found


def _write(text: str | bytes, output: Path | None) -> None:
    if isinstance(text, str) and not text.endswith("\n"):
        text += "\n"  # a table printed to a terminal must not run into the prompt
    if output is None:
        sys.stdout.write(text if isinstance(text, str) else text.decode())
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            output.write_text(text, encoding="utf-8")
        else:
            output.write_bytes(text)
    except OSError as exc:
        raise UsageError(
            f"cannot write '{output}': {exc.strerror or exc}; name another file"
        ) from None
    print(f"wrote {output}", file=sys.stderr)


@app.command("table")
def table(
    refs: Annotated[
        list[str] | None,
        typer.Argument(help="Runs (ids, prefixes, names); every run if none and no --where."),
    ] = None,
    metrics: Annotated[
        list[str] | None,
        typer.Option("--metrics", "-m", help="Metric columns, comma-separated: acc,val/loss."),
    ] = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option(
            "--group-by",
            "-g",
            help="Config keys whose values make the rows (config.model); one row per run if none.",
        ),
    ] = None,
    fmt: Annotated[
        TableFormat | None,
        typer.Option("--format", "-F", help="Output format; from -o's suffix, else latex."),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="Only runs a query selects, as in 'runar ls'.")
    ] = None,
    value: Annotated[
        ValueKind,
        typer.Option("--value", help="Each run's last value of a metric, or its best."),
    ] = ValueKind.last,
    caption: Annotated[
        str | None, typer.Option("--caption", help="Table caption (plain text, escaped).")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="LaTeX \\label key.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout if omitted.")
    ] = None,
) -> None:
    """Mean ± std of metrics over groups of runs (seeds), the best per column in bold."""
    from runar.report import formats, latex
    from runar.report.table import build_table, select_runs

    chosen = _table_format(fmt, output)
    store = current_store()
    if not store.exists:
        raise RunNotFound(NO_RUNS_HINT)
    runs = select_runs(store, refs or [], where)
    result = build_table(runs, _split(metrics), _split(group_by), value.value, caption, label)
    render = {
        TableFormat.latex: latex.render,
        TableFormat.markdown: formats.markdown,
        TableFormat.csv: formats.csv_text,
        TableFormat.html: formats.html_table,
    }[chosen]
    _write(render(result), output)


def _render_report(kind: str, refs: list[str], fmt: ReportFormat | None, output: Path) -> None:
    """Gather the runs' record, then typeset it as PDF or write it as HTML."""
    from runar.report import require_extra

    chosen = _report_format(fmt, output)
    require_extra(("typst", "matplotlib") if chosen is ReportFormat.pdf else ("matplotlib",))
    import runar.frames as frames
    from runar.report import run_data, typeset, webpage

    store = current_store()
    with existing_views(store) as views:
        summaries = list({s.run_id: s for s in (views.get(ref) for ref in refs)}.values())
    swept = [s.display_name for s in summaries if s.is_sweep_record]
    if swept:  # its record resolves like a run, with nothing of a run to report
        raise UsageError(
            f"{swept[0]} is a sweep, not a run: name one of its points, or tabulate them "
            f"with 'runar report table {swept[0]} -m METRIC'"
        )
    if kind == "compare" and len(summaries) < 2:
        raise UsageError(
            f"{' and '.join(repr(r) for r in refs)} name one run; "
            "compare two or more different runs"
        )
    points = frames.metrics(runs=[s.run_id for s in summaries], store=store, catch_up=False)
    if kind == "run":
        report = run_data.run_report(store, summaries[0], points)
    else:
        report = run_data.compare_report(store, summaries, points)
    if chosen is ReportFormat.pdf:
        _write(typeset.pdf(report, kind), output)  # type: ignore[arg-type]
    else:
        page = webpage.run_page if kind == "run" else webpage.compare_page
        _write(page(report), output)


@app.command("run")
def run(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The report file: report.pdf or report.html.")
    ],
    fmt: Annotated[
        ReportFormat | None, typer.Option("--format", "-F", help="pdf or html; from -o's suffix.")
    ] = None,
) -> None:
    """A report of one run: header, steps timeline, metric charts, artifacts, notes, failure."""
    _render_report("run", [ref], fmt, output)


@app.command("compare")
def compare(
    refs: Annotated[list[str], typer.Argument(help="Two or more runs: ids, prefixes or names.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The report file: cmp.pdf or cmp.html.")
    ],
    fmt: Annotated[
        ReportFormat | None, typer.Option("--format", "-F", help="pdf or html; from -o's suffix.")
    ] = None,
) -> None:
    """A few runs side by side: config that differs, final metrics, overlaid curves."""
    if len(refs) < 2:
        raise UsageError("name at least two runs to compare: runar report compare A B -o cmp.pdf")
    if len(refs) > MAX_COMPARED:
        raise UsageError(f"compare at most {MAX_COMPARED} runs; for more, use 'runar report table'")
    _render_report("compare", refs, fmt, output)
