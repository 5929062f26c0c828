"""`runar export`: runs or metric points to Parquet, CSV or NDJSON through the Polars views."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from runar.cli.access import current_store, existing_views
from runar.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

STDOUT: Final = "-"


class Format(str, Enum):
    """File formats `runar export` writes."""

    parquet = "parquet"
    csv = "csv"
    ndjson = "ndjson"


class What(str, Enum):
    """Which table `runar export` writes."""

    runs = "runs"
    metrics = "metrics"


SUFFIXES: Final = {
    ".parquet": Format.parquet,
    ".pq": Format.parquet,
    ".csv": Format.csv,
    ".ndjson": Format.ndjson,
    ".jsonl": Format.ndjson,
}


def pick_format(fmt: Format | None, output: str | None) -> Format:
    """The format asked for, else the one the output file's suffix names, else CSV."""
    if fmt is not None:
        return fmt
    if output and output != STDOUT:
        suffix = Path(output).suffix.lower()
        if suffix in SUFFIXES:
            return SUFFIXES[suffix]
        raise UsageError(f"cannot tell the format of '{output}'; pass --format parquet|csv|ndjson")
    return Format.csv


def flat_for_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV holds no lists or structs: write those cells as JSON text."""
    import polars as pl

    nested = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List | pl.Struct | pl.Array)
    ]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(
            lambda v: None if v is None else _json_text(v), return_dtype=pl.String
        )
        for name in nested
    )


def _json_text(value: object) -> str:
    import json

    if hasattr(value, "to_list"):
        value = value.to_list()  # type: ignore[union-attr]
    return json.dumps(value, default=str)


def write_frame(frame: pl.DataFrame, fmt: Format, output: str | None) -> None:
    """Write the frame to a file, or to stdout for the text formats."""
    to_stdout = output is None or output == STDOUT
    if to_stdout and fmt is Format.parquet:
        raise UsageError("parquet is binary: name a file with -o FILE.parquet")
    target = sys.stdout.buffer if to_stdout else Path(output)  # type: ignore[arg-type]
    if not to_stdout:
        Path(output).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    if fmt is Format.parquet:
        frame.write_parquet(target)
    elif fmt is Format.csv:
        flat_for_csv(frame).write_csv(target)
    else:
        frame.write_ndjson(target)
    if to_stdout:
        sys.stdout.buffer.flush()


def _shaped(frame: pl.DataFrame, columns: str | None, group_by: str | None) -> pl.DataFrame:
    """The runs frame cut to ``columns`` (all when None), maybe grouped, as `runar ls` does."""
    from runar.cli import columns as shape

    by = [b.strip() for b in (group_by or "").split(",") if b.strip()]
    names = columns.split(",") if columns else [c for c in frame.columns if c not in by]
    picked = shape.resolve(frame, [*by, *(n for n in names if n.strip() not in by)])
    shown = shape.select(frame, picked)
    return shape.group(shown, by) if by else shown


def export(
    refs: Annotated[
        list[str] | None, typer.Argument(help="Runs to export (ids, prefixes, names); all if none.")
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-F", help="Output format; guessed from -o's suffix if omitted."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write; '-' or none = stdout.")
    ] = None,
    what: Annotated[
        What, typer.Option("--what", "-w", help="One row per run, or one per metric point.")
    ] = What.runs,
    where: Annotated[
        str | None,
        typer.Option("--where", help="Only runs matching a query, as in 'runar ls --where'."),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort", help="Order runs by name, created, metrics.KEY, config.KEY; -KEY descending."
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Only runs of this project (default: every project)."),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", "-c", help="Run columns to keep, as in 'runar ls --columns'."),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by", "-g", help="One row per value of a column: count, mean and std."
        ),
    ] = None,
) -> None:
    """Export runs or their metric points to Parquet, CSV or NDJSON."""
    if what is What.metrics and (columns or group_by):
        raise UsageError("--columns and --group-by shape the runs table; drop --what metrics")
    fmt = pick_format(fmt, output)
    store = current_store()
    run_ids: list[str] | None = None
    if refs:
        with existing_views(store) as views:
            run_ids = list(dict.fromkeys(views.get(ref).run_id for ref in refs))
    import polars as pl

    import runar.frames as frames

    if what is What.metrics:
        if where or project:
            chosen = frames.runs(store=store, where=where)
            if project:
                chosen = chosen.filter(pl.col("project") == project)
            run_ids = [i for i in chosen["run_id"].to_list() if run_ids is None or i in run_ids]
        frame = frames.metrics(runs=run_ids, store=store)
    else:
        frame = frames.runs(store=store, where=where, sort=sort)
        if run_ids is not None:
            frame = frame.filter(pl.col("run_id").is_in(run_ids))
        if project:
            frame = frame.filter(pl.col("project") == project)
        if columns or group_by:
            frame = _shaped(frame, columns, group_by)
    write_frame(frame, fmt, output)
    if output and output != STDOUT:
        print(f"wrote {frame.height} {what.value} row(s) to {output}", file=sys.stderr)
