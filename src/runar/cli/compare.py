"""`runar diff <a> <b>`: what differs between two runs — arguments, config, metrics, code, env."""

from __future__ import annotations

import difflib
import math
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from runar.cli import render
from runar.cli.access import current_store, existing_views
from runar.ids import short
from runar.views.summary import lower_is_better

if TYPE_CHECKING:
    from rich.console import Console

    from runar.events import GitState
    from runar.store import Store
    from runar.views.summary import RunSummary

GIT_TIMEOUT_S: Final = 30
ENVIRONMENT_FIELDS: Final = ("python", "executable", "platform", "host", "user", "cwd")


def mapping_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys whose values differ (``[a, b]``), keys only in b (added) and only in a (removed)."""
    return {
        "changed": {k: [a[k], b[k]] for k in sorted(a.keys() & b.keys()) if a[k] != b[k]},
        "added": {k: b[k] for k in sorted(b.keys() - a.keys())},
        "removed": {k: a[k] for k in sorted(a.keys() - b.keys())},
    }


def metric_deltas(a: dict[str, float], b: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per metric present in either run: its last value in each and b − a."""
    rows: dict[str, dict[str, Any]] = {}
    for key in sorted(a.keys() | b.keys()):
        va, vb = a.get(key), b.get(key)
        delta = vb - va if va is not None and vb is not None else None
        rows[key] = {"a": va, "b": vb, "delta": delta, "lower_is_better": lower_is_better(key)}
    return rows


def _revision(git: GitState | None) -> str | None:
    """The exact code of a run: its dirty-tree snapshot if it has one, else its commit."""
    if git is None:
        return None
    return git.snapshot or git.commit


def _restored(git: GitState | None, root: str, code_dir: Path | None) -> str | None:
    """The run's code as an object in ``root``, rebuilt from the store if git pruned it."""
    if git is None or code_dir is None:
        return _revision(git)
    from runar.runner.code_snapshot import restore_tree

    return restore_tree(root, code_dir, git.commit, git.snapshot) or _revision(git)


def code_diff(
    a: GitState | None,
    b: GitState | None,
    stat: bool,
    colour: bool,
    code_dirs: tuple[Path | None, Path | None] = (None, None),
) -> dict[str, Any]:
    """`git diff` between the two runs' exact code, or why it cannot be shown."""
    rev_a, rev_b = _revision(a), _revision(b)
    roots = [g.root for g in (b, a) if g is not None and g.root and Path(g.root).is_dir()]
    if rev_a is None or rev_b is None:
        return {"text": None, "reason": "a run was not started in a git repository"}
    if rev_a == rev_b:
        return {"text": "", "reason": "same code"}
    if not roots:
        return {"text": None, "reason": "the runs' git repository is not on this machine"}
    rev_a, rev_b = _restored(a, roots[0], code_dirs[0]), _restored(b, roots[0], code_dirs[1])
    command = ["git", "-C", roots[0], "diff", "--color=always" if colour else "--no-color"]
    command += ["--stat"] if stat else []
    try:
        done = subprocess.run(
            [*command, rev_a, rev_b, "--"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return {"text": None, "reason": f"git diff failed: {exc}"}
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["unknown error"])[0]
        return {"text": None, "reason": f"git diff failed: {first}"}
    return {"text": done.stdout, "reason": None}


def arguments_diff(a: RunSummary, b: RunSummary) -> dict[str, Any]:
    """Both runs' recorded command lines (script and arguments) and whether they are equal."""
    argv_a = list(a.started.argv) if a.started else []
    argv_b = list(b.started.argv) if b.started else []
    return {"a": argv_a, "b": argv_b, "identical": argv_a == argv_b}


def _marked(tokens: list[str], spans: list[tuple[int, int]], colour: str) -> str:
    """The command line with the tokens inside ``spans`` in ``colour``."""
    inside = {i for start, end in spans for i in range(start, end)}
    words = [render.escape(shlex.quote(t)) for t in tokens]
    return " ".join(f"[{colour}]{w}[/]" if i in inside else w for i, w in enumerate(words))


def _print_arguments(out: Console, args: dict[str, Any]) -> None:
    out.print("\n[bold]Arguments[/]")
    if args["identical"]:
        out.print("  [dim]identical[/]")
        return
    a, b = args["a"], args["b"]
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    out.print(f"  a: {_marked(a, [(i1, i2) for _, i1, i2, _, _ in changed], 'red')}")
    out.print(f"  b: {_marked(b, [(j1, j2) for _, _, _, j1, j2 in changed], 'green')}")


def _environment(summary: RunSummary) -> dict[str, Any]:
    started = summary.started
    if started is None:
        return {}
    fields = {f: getattr(started, f) for f in ENVIRONMENT_FIELDS if getattr(started, f)}
    fields.update({f"env.{k}": v for k, v in started.env.items()})
    return fields


def diff_record(
    a: RunSummary,
    b: RunSummary,
    code: bool = True,
    stat: bool = False,
    colour: bool = False,
    store: Store | None = None,
) -> dict[str, Any]:
    """Everything `runar diff` reports, as plain data."""
    git_a, git_b = a.git, b.git
    record: dict[str, Any] = {
        "a": {"id": a.run_id, "name": a.display_name},
        "b": {"id": b.run_id, "name": b.display_name},
        "arguments": arguments_diff(a, b),
        "config": mapping_diff(a.config_values(), b.config_values()),
        "metrics": metric_deltas(a.last_metrics(), b.last_metrics()),
        "git": {
            "a": msgspec.to_builtins(git_a) if git_a else None,
            "b": msgspec.to_builtins(git_b) if git_b else None,
            "code_diff": None,
            "reason": "not asked for",
        },
        "environment": mapping_diff(_environment(a), _environment(b)),
        "packages": mapping_diff(
            dict(a.started.packages) if a.started else {},
            dict(b.started.packages) if b.started else {},
        ),
    }
    if code:
        dirs = (store.code_dir(a.run_id), store.code_dir(b.run_id)) if store else (None, None)
        found = code_diff(git_a, git_b, stat, colour, dirs)
        record["git"]["code_diff"], record["git"]["reason"] = found["text"], found["reason"]
    return record


def _value(value: Any) -> str:
    if isinstance(value, float):
        return render.number(value)
    return render.escape(repr(value) if isinstance(value, str) else str(value))


def _print_mapping(
    out: Console, title: str, changes: dict[str, dict[str, Any]], same: str = "identical"
) -> None:
    out.print(f"\n[bold]{title}[/]")
    if not any(changes.values()):
        out.print(f"  [dim]{same}[/]")
        return
    for key, (va, vb) in changes["changed"].items():
        out.print(f"  {render.escape(key)}: {_value(va)} → {_value(vb)}")
    for key, value in changes["added"].items():
        out.print(f"  [green]+ {render.escape(key)}: {_value(value)}[/]")
    for key, value in changes["removed"].items():
        out.print(f"  [red]- {render.escape(key)}: {_value(value)}[/]")


def _metric_line(key: str, row: dict[str, Any]) -> str:
    va, vb, delta = row["a"], row["b"], row["delta"]
    text = f"  {render.escape(key)}: {render.number(va)} → {render.number(vb)}"
    if delta is None or math.isnan(delta) or delta == 0:
        return text
    better = (delta < 0) == row["lower_is_better"]
    colour = "green" if better else "red"
    return f"{text} [{colour}]({render.signed(delta)})[/]"


def _git_label(git: dict[str, Any] | None) -> str:
    if git is None:
        return "[dim]no git[/]"
    label = f"{git.get('branch') or '(detached)'}@{(git.get('commit') or '?')[:7]}"
    return render.escape(label) + (" [yellow](dirty)[/]" if git.get("dirty") else "")


def print_diff(record: dict[str, Any], code: bool) -> None:
    """The human view of a diff record."""
    out = render.console()
    a, b = record["a"], record["b"]

    def label(run: dict[str, Any]) -> str:
        name = f" ({render.escape(run['name'])})" if run["name"] else ""
        return f"{short(run['id'])}{name}"

    out.print(f"[bold]{label(a)} → {label(b)}[/]")
    _print_arguments(out, record["arguments"])
    same_config = (
        "identical" if record["arguments"]["identical"] else "same values; the arguments differ"
    )
    _print_mapping(out, "Config", record["config"], same_config)
    out.print("\n[bold]Metrics[/]")
    if not record["metrics"]:
        out.print("  [dim]none recorded[/]")
    for key, row in record["metrics"].items():
        out.print(_metric_line(key, row))
    git = record["git"]
    out.print("\n[bold]Git[/]")
    out.print(f"  commit: {_git_label(git['a'])} → {_git_label(git['b'])}")
    if code:
        if git["code_diff"]:
            out.file.write(
                git["code_diff"] if git["code_diff"].endswith("\n") else git["code_diff"] + "\n"
            )
        elif git["reason"]:
            out.print(f"  [dim]code: {render.escape(git['reason'])}[/]")
    _print_mapping(out, "Environment", record["environment"])
    _print_mapping(out, "Packages", record["packages"])
    if record.get("reproducibility"):
        from runar.cli.reproduce import print_pair

        print_pair(out, record["reproducibility"])


def diff_runs(
    ref_a: str, ref_b: str, code: bool = True, stat: bool = False, as_json: bool = False
) -> None:
    """`runar diff A B`; typer-free, so the fast path (cli/fast.py) can call it."""
    store = current_store()
    with existing_views(store) as views:
        a, b = views.get(ref_a), views.get(ref_b)
        from runar.views.reproducibility import pair_for

        pair = pair_for(views, a, b)  # only when both are in one rerun family
    colour = not as_json and render.wants_colour()
    record = diff_record(a, b, code=code, stat=stat, colour=colour, store=store)
    if pair is not None:
        record["reproducibility"] = pair.record()
    if as_json:
        render.print_json(record)
    else:
        print_diff(record, code)
