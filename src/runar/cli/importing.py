"""`runar import tensorboard|mlflow|wandb PATH`: history kept by other tools becomes runar runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from runar.cli import render
from runar.cli.access import current_store

if TYPE_CHECKING:
    from runar.importers.source_run import RunResult

OUTCOME_WORDS: Final = {
    "imported": "imported",
    "exists": "already imported",
    "deleted": "skipped (deleted from this store with --everywhere)",
    "empty": "skipped (no metrics, config or artifacts)",
}

app = typer.Typer(
    name="import",
    help="Bring runs recorded by TensorBoard, MLflow or W&B into the store; safe to repeat.",
    no_args_is_help=True,
    add_completion=False,
)

TagOption = Annotated[
    list[str] | None, typer.Option("--tag", "-t", help="Tag every imported run (repeatable).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one record per run as JSON.")]


def _import(kind: str, path: Path, name: str | None, tags: list[str] | None, as_json: bool) -> None:
    from runar.importers import import_runs

    results = import_runs(current_store(), kind, path, name=name, tags=tags)
    if as_json:
        render.print_json([r.to_dict() for r in results])
        return
    for result in results:
        print(describe(result))
    imported = sum(r.outcome == "imported" for r in results)
    rest = len(results) - imported
    print(f"{imported} run(s) imported" + (f", {rest} skipped" if rest else ""))


def describe(result: RunResult) -> str:
    """One line about one run, then one indented line per thing its source lost."""
    from runar.ids import short

    what = OUTCOME_WORDS[result.outcome]
    line = f"{what}: {short(result.run_id)} {result.name or '-'}"
    if result.outcome == "imported":
        line += f" ({result.metrics} metric value(s), {result.artifacts} artifact(s))"
    lines = [line, *(f"  skipped in {result.location}: {s}" for s in result.skipped)]
    return "\n".join(lines)


@app.command("tensorboard")
def tensorboard(
    logdir: Annotated[Path, typer.Argument(help="A logdir (or one event file).")],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Name for the logdir's run; subfolders get NAME/sub."),
    ] = None,
    tag: TagOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scalars and hparams of every folder holding event files; one run per folder."""
    _import("tensorboard", logdir, name, tag, as_json)


@app.command("mlflow")
def mlflow(
    path: Annotated[Path, typer.Argument(help="An mlruns/ folder, its parent, or an mlflow.db.")],
    tag: TagOption = None,
    as_json: JsonOption = False,
) -> None:
    """Params, metrics (steps, timestamps), tags and artifact files of every live run."""
    _import("mlflow", path, None, tag, as_json)


@app.command("wandb")
def wandb(
    path: Annotated[
        Path, typer.Argument(help="A wandb/ folder, an offline-run-* folder or a .wandb file.")
    ],
    tag: TagOption = None,
    as_json: JsonOption = False,
) -> None:
    """Config, history, summary and saved files of offline runs; no wandb package needed."""
    _import("wandb", path, None, tag, as_json)
