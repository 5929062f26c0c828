"""`runar checkout RUN [DIR]` and `runar rerun RUN`: a run's exact code, and running it again."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from runar.cli import render
from runar.cli.access import current_store, existing_views
from runar.errors import UsageError
from runar.ids import short
from runar.redact import redact_argv

if TYPE_CHECKING:
    from rich.console import Console

    from runar.store import Store
    from runar.views.summary import RunSummary

REASONS_SHOWN: Final = 6


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
    _refuse_sweep(ref, summary)
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
        str,
        typer.Option(
            "--env",
            help="current: this interpreter; recorded: a virtualenv rebuilt from the run's "
            "recorded Python and packages (cached under .runar/cache/envs/).",
        ),
    ] = "current",
    allow_missing: Annotated[
        bool,
        typer.Option(
            "--allow-missing", help="With --env recorded: go on without pins the index lacks."
        ),
    ] = False,
    times: Annotated[
        int, typer.Option("--times", min=1, help="Rerun N times in a row to measure noise.")
    ] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the command, folder and checkout; run nothing.")
    ] = False,
) -> None:
    """Run a run's recorded command again, on its exact code, as a new run linked to it."""
    from runar.runner.checkout import cached_checkout, code_record, ensure_cached
    from runar.runner.recorded_env import ensure_env, needed_secrets, plan_env, read_marker
    from runar.runner.rerun import RERUN_MARK, check_env_mode, parse_sets, plan_rerun, rerun_names

    check_env_mode(env)
    overrides = parse_sets(sets or [])
    store = current_store()
    with existing_views(store) as views:
        summary = views.get(ref)
        taken = [run.display_name for run in views.runs(name=RERUN_MARK)]
    _refuse_sweep(ref, summary)
    started, run_id = summary.started, summary.run_id
    if started is None:
        raise UsageError(f"run {short(run_id)} has no recorded start; there is nothing to rerun")
    record = code_record(store, run_id, started)
    folder = cached_checkout(store, run_id) if dry_run else ensure_cached(store, record)
    plan = plan_rerun(started, record, folder, overrides, os.environ)
    secrets = _secrets_line(needed_secrets(started, os.environ))
    if secrets and not dry_run:  # never reconstructed: the rerun inherits this environment's
        _say(f"runar: {secrets}")
    env_plan = plan_env(store, started, run_id, folder, plan.cwd) if env == "recorded" else None
    if dry_run:
        if env_plan is not None:
            plan = plan_rerun(
                started, record, folder, overrides, os.environ, str(env_plan.python_path)
            )
        print(f"command:  {shlex.join(redact_argv(plan.command))}")
        print(f"cwd:      {plan.cwd}")
        print(f"checkout: {plan.checkout}")
        if env_plan is not None:
            print(
                f"env:      Python {env_plan.python} ({env_plan.interpreter}), "
                f"{len(env_plan.pins)} package(s) with {env_plan.installer}, "
                + ("cached" if read_marker(env_plan.folder) else "to build")
                + f" in {env_plan.folder}"
            )
        if secrets:
            print(f"secrets:  {secrets}")
        return
    from runar.runner.request import RunRequest
    from runar.runner.session import execute

    request = RunRequest(
        command=plan.command,
        argv=plan.argv,
        title=Path(plan.argv[0]).name,
        parse_output=started.parse_output,
        rerun_of=run_id,
        rerun_code=(started.git, record.code_dir),
        rerun_set=_redacted_sets(overrides),
        project=summary.project,  # a rerun stays in its original's project
    )
    if env_plan is not None:
        built = ensure_env(env_plan, started, allow_missing, _say)
        if built.reused:
            _say(f"runar: reusing the recorded environment {env_plan.folder}")
        plan = plan_rerun(started, record, folder, overrides, os.environ, str(built.python))
        request.command, request.argv = plan.command, plan.argv
        request.env_python, request.env_packages = built.version, built.packages
        request.env_variables = built.variables
        request.import_paths = built.import_paths
    # the note documents the variation; the new argv carries it into the config
    varied = [f"{key}={value}" for key, value in request.rerun_set.items()]
    note = f"rerun of {short(run_id)}" + (f" with {', '.join(varied)}" if varied else "")
    os.chdir(plan.cwd)  # the runner runs in, and records, its working folder
    code = 0
    names = rerun_names(summary.display_name, run_id, started.rerun_of, taken, times, name)
    for turn in range(times):
        request.name = names[turn]
        request.title = request.name or Path(plan.argv[0]).name
        request.note = note + (f" ({turn + 1} of {times})" if times > 1 else "")
        code = execute(request, store)
        if code != 0:
            if turn + 1 < times:
                _say(f"runar: rerun {turn + 1} of {times} failed; the rest are not run")
            break
    _print_score(store, run_id)
    raise typer.Exit(code)


def _refuse_sweep(ref: str, summary: RunSummary) -> None:
    """A sweep's record resolves like a run, but it has no code or command of its own."""
    if summary.is_sweep_record:
        name = summary.display_name
        raise UsageError(
            f"'{ref}' is the sweep {name}, not a run: name one of its points "
            f"('runar ls --where sweep:{name}'), or run its unfinished points with "
            f"'runar sweep --resume {name}'"
        )


def _secrets_line(secrets: list[tuple[str, bool]]) -> str:
    """Which redacted variables the rerun takes from this environment, and which are unset."""
    if not secrets:
        return ""
    given = [name for name, ok in secrets if ok]
    unset = [name for name, ok in secrets if not ok]
    parts = ([f"set: {', '.join(given)}"] if given else []) + (
        [f"NOT set: {', '.join(unset)}"] if unset else []
    )
    return "redacted variables come from this environment, never the record; " + "; ".join(parts)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _redacted_sets(overrides: dict[str, str]) -> dict[str, str]:
    """--set values as the record may hold them: a secret's value is never written."""
    shown = redact_argv([f"--{key}={value}" for key, value in overrides.items()])
    return {key: token.partition("=")[2] for key, token in zip(overrides, shown, strict=True)}


def _print_score(store: Store, run_id: str) -> None:
    """The family's score after the reruns, on stderr (the runs' own output is stdout)."""
    from runar.views import open_views
    from runar.views.reproducibility import report_for

    with open_views(store) as views:
        report = report_for(views, views.get(run_id))
    if report is None or report.score is None:
        return
    reruns = len(report.runs) - 1
    _say(
        f"runar: reproducibility of {short(report.root)}: {report.score}/100 over "
        f"{reruns} rerun{'s' if reruns != 1 else ''} (runar show {short(report.root)})"
    )
    for reason in report.reasons[:REASONS_SHOWN]:
        _say(f"  {reason.text}")


def print_reproducibility(out: Console, field: dict[str, Any], run_id: str) -> None:
    """`runar show`'s Reproducibility section: the family's score, reasons and reruns."""
    out.print("\n[bold]Reproducibility[/]")
    reruns, variations = field["reruns"], field.get("variations", 0)
    of = f"over {reruns - variations} rerun{'s' if reruns - variations != 1 else ''}"
    of += f" (and {variations} with --set)" if variations else ""
    root = short(field["root"]) + (" (this run)" if field["root"] == run_id else "")
    score = "—" if field["score"] is None else f"{field['score']}/100"
    _line(out, "score", f"{score} {of} of {root}")
    own = field.get("this_run")
    if own is not None:
        _line(out, "this run", f"{own['score']}/100 against {short(own['original'])}")
    for i, reason in enumerate(field["reasons"]):
        _line(out, "reasons" if i == 0 else "", render.escape(reason))
    for i, pair in enumerate(field["pairs"]):
        kind = "variation (--set)" if pair["variation"] else ""
        kind = kind or ("" if pair["finished"] else "running")
        mark = " ← this run" if pair["rerun"] == run_id else ""
        text = f"{short(pair['rerun'])}  {pair['score']:>3}  {kind}{mark}".rstrip()
        _line(out, "reruns" if i == 0 else "", text)


def _line(out: Console, label: str, value: str) -> None:
    out.print(f"  [dim]{label:<13}[/]{value}")


def print_pair(out: Console, pair: dict[str, Any]) -> None:
    """`runar diff`'s Reproducibility section: how close B came to A, and why."""
    out.print("\n[bold]Reproducibility[/]")
    kind = " (a variation: --set)" if pair["variation"] else ""
    _line(out, "score", f"{pair['score']}/100{kind}")
    for label, same in (
        ("code", pair["code_identical"]),
        ("environment", pair["environment_identical"]),
        ("config", pair["config_identical"]),
    ):
        _line(out, label, {True: "identical", False: "differs", None: "unknown"}[same])
    for i, reason in enumerate(pair["reasons"]):
        _line(out, "reasons" if i == 0 else "", render.escape(reason))
