"""`runar checkout RUN [DIR]` and `runar rerun RUN`: a run's exact code, and running it again."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated

import typer

from runar.cli.access import current_store, existing_views
from runar.errors import UsageError
from runar.ids import short
from runar.redact import redact_argv


def checkout(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    folder: Annotated[
        Path | None, typer.Argument(help="A new or empty folder (default ./runar-<short id>).")
    ] = None,
) -> None:
    """Write a run's exact code (commit plus uncommitted and untracked files) into a folder."""
    from runar.runner.checkout import code_record, write_code

    store = current_store()
    with existing_views(store) as views:
        summary = views.get(ref)
    record = code_record(store, summary.run_id, summary.started)
    dest = folder if folder is not None else Path(f"runar-{short(summary.run_id)}")
    write_code(record, dest)
    print(f"run {short(summary.run_id)}'s code is in {dest}")


def rerun(
    ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override an argument: --set lr=3e-4 (repeatable)."),
    ] = None,
    name: Annotated[str | None, typer.Option("-n", "--name", help="The new run's name.")] = None,
    env: Annotated[
        str, typer.Option("--env", help="current: this interpreter (recorded: not yet).")
    ] = "current",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the command, folder and checkout; run nothing.")
    ] = False,
) -> None:
    """Run a run's recorded command again, on its exact code, as a new run linked to it."""
    from runar.runner.checkout import cached_checkout, code_record, ensure_cached
    from runar.runner.rerun import check_env_mode, parse_sets, plan_rerun

    check_env_mode(env)
    overrides = parse_sets(sets or [])
    store = current_store()
    with existing_views(store) as views:
        summary = views.get(ref)
    started, run_id = summary.started, summary.run_id
    if started is None:
        raise UsageError(f"run {short(run_id)} has no recorded start; there is nothing to rerun")
    record = code_record(store, run_id, started)
    folder = cached_checkout(store, run_id) if dry_run else ensure_cached(store, record)
    plan = plan_rerun(started, record, folder, overrides, os.environ)
    if dry_run:
        print(f"command:  {shlex.join(redact_argv(plan.command))}")
        print(f"cwd:      {plan.cwd}")
        print(f"checkout: {plan.checkout}")
        return
    from runar.runner.session import RunRequest, execute

    # the note documents the variation; the new argv carries it into the config
    varied = redact_argv([f"{key}={value}" for key, value in overrides.items()])
    request = RunRequest(
        command=plan.command,
        argv=plan.argv,
        title=name or Path(plan.argv[0]).name,
        name=name,
        note=f"rerun of {short(run_id)}" + (f" with {', '.join(varied)}" if varied else ""),
        parse_output=started.parse_output,
        rerun_of=run_id,
        rerun_code=(started.git, record.code_dir),
        project=summary.project,  # a rerun stays in its original's project
    )
    os.chdir(plan.cwd)  # the runner runs in, and records, its working folder
    raise typer.Exit(execute(request, store))
