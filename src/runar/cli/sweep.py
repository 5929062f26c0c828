"""`runar sweep`: many runs of one script from one command; `runar sweep ls|show` read them.

Parsed by hand, like the runner: the script's own options are the sweep's dimensions,
so no option parser may take them. The sweep's options go before or after the script;
everything after ``--`` is the script's even when it spells a sweep option (``-n``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import typer

from runar.cli import render
from runar.cli.access import current_store
from runar.errors import UsageError

HELP: Final = """\
Usage: runar sweep [OPTIONS] SCRIPT [ARGS...]
       runar sweep [OPTIONS] -m MODULE [ARGS...]
       runar sweep [OPTIONS] -- COMMAND [ARGS...]  any program, as 'runar -- COMMAND' runs it
       runar sweep -f sweep.toml [OPTIONS]       the script, fixed args and space from a file
       runar sweep --resume SWEEP                run again the points that never completed
       runar sweep ls [--json]                   every sweep and how far it got
       runar sweep show SWEEP [--sort KEY] [--json]  a row per point, the best marked

Run a script over many configurations, each a normal recorded run:
  runar sweep train.py --lr 1e-3,1e-4 --seed 0..2 -j 2

Values of the script's options that are sweeps (the cross product of all of them):
  1e-3,3e-4,1e-4  a list        0..4  an inclusive int range
  1e-4:1e-2:log:5  log-spaced   0:1:lin:5  linear
  choice(a,b)  int(1,8)  uniform(0,1)  loguniform(1e-5,1e-2)  (the last two: --random)
  anything else is passed unchanged. Write '--key=value' or '--key value'.

Options:
  -n, --name NAME        the sweep's name; runs are NAME-0, NAME-1… tagged sweep:NAME
  -j, --jobs N           points at once (default 1, or one per GPU, pinned by
                         CUDA_VISIBLE_DEVICES)
  --random N             sample N points instead of the grid; --seed-sweep S repeats a draw
  -f, --file FILE        a TOML, YAML or JSON sweep file (see docs/sweeps.md)
  --metric KEY           rank points by this metric (default: a loss or accuracy)
  --mode min|max         which way is better (default: from the metric's name)
  --max-failures K       start no new point after K points failed
  --stop RULE            stop a point early: 'metrics.val/loss > 2 at step 100'; the
                         condition is a query as in 'runar ls --where' (and, or, max(…))
  --asha STEP            successive halving by --metric: rungs at STEP, STEP·3, STEP·9…;
                         a point behind the best third at a rung stops (--asha-eta N)
  --resume SWEEP         run the points of SWEEP that never completed
  --on ray|ray://H:P     run each point as a Ray task (pip install 'runar[ray]')
  --cpus-per-run C       Ray: CPUs each point needs (default 1)
  --gpus-per-run G       Ray: GPUs each point needs (default 0)
  --remote NAME          record the runs in the team store NAME
  -t, --tag TAG          another tag on every run (repeatable); --no-parse as for runar
  --grace S              seconds between SIGINT and SIGTERM on Ctrl-C (default 10)
  --dry-run              print the points and their commands; run nothing
  -v, --verbose          stream the points' output, each line prefixed with [point]

The sweep's options may follow the script; a script option of the same name goes
after '--': runar sweep train.py --lr 1e-3,1e-4 -- -n 12. Ctrl-C stops the running
points (SIGINT, then SIGTERM) and keeps the queued ones for --resume.
"""

VALUE: Final = {
    "-n": "name", "--name": "name", "-j": "jobs", "--jobs": "jobs", "--random": "random",
    "--seed-sweep": "seed", "-f": "file", "--file": "file", "--metric": "metric",
    "--mode": "mode", "--max-failures": "max_failures", "--stop": "stop", "--resume": "resume",
    "--on": "on", "--cpus-per-run": "cpus_per_run", "--gpus-per-run": "gpus_per_run",
    "--remote": "remote", "-t": "tag", "--tag": "tag", "--grace": "grace_s", "--asha": "asha",
    "--asha-eta": "asha_eta",
}  # fmt: skip
POINT_STATUS: Final = {"stopped": ("■ stopped", "yellow"), "queued": ("· queued", "dim")}
FLAGS: Final = {"--dry-run": "dry_run", "-v": "verbose", "--verbose": "verbose"}
INTS: Final = ("jobs", "random", "seed", "max_failures", "asha", "asha_eta")
FLOATS: Final = ("cpus_per_run", "gpus_per_run", "grace_s")
MINIMUM: Final = {"jobs": 1, "random": 1, "max_failures": 1, "asha": 1, "asha_eta": 2}


def _convert(option: str, field: str, text: str) -> Any:
    if field in INTS:
        try:
            value: Any = int(text)
        except ValueError:
            raise UsageError(f"option {option} takes a whole number, not {text!r}") from None
        if value < MINIMUM.get(field, value):
            raise UsageError(f"option {option} must be {MINIMUM[field]} or more, not {value}")
        return value
    if field in FLOATS:
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"option {option} takes a number, not {text!r}") from None
        if number < 0:
            raise UsageError(f"option {option} cannot be negative")
        return number
    if field == "on" and text != "local" and text != "ray" and not text.startswith("ray://"):
        raise UsageError(f"option --on takes local, ray or ray://HOST:PORT, not {text!r}")
    if field == "mode" and text not in ("min", "max"):
        raise UsageError(f"option --mode takes min or max, not {text!r}")
    return text


def sweep_option_like(option: str) -> str | None:
    """The sweep's long option ``option`` is a near-miss of (``--metirc`` → ``--metric``)."""
    import difflib

    names = [o for o in (*VALUE, *FLAGS) if o.startswith("--")]
    if option in names or not option.startswith("--"):
        return None
    close = difflib.get_close_matches(option, names, n=1, cutoff=0.8)
    return close[0] if close else None


def parse(argv: list[str]) -> Any:
    """A SweepRequest from `runar sweep`'s arguments."""
    from runar.sweep.session import SweepRequest

    request = SweepRequest(argv=["sweep", *argv])
    tags: list[str] = []
    remote: str | None = None
    no_parse = False
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            if request.script is None and request.file is None and request.resume is None:
                if i + 1 >= len(argv):  # `runar sweep -- bash run.sh --lr 1e-3,1e-4`
                    raise UsageError("no command after '--'; e.g. 'runar sweep -- bash run.sh'")
                request.script, request.command = argv[i + 1], True
                request.args += argv[i + 2 :]
            else:
                request.args += argv[i + 1 :]
            break
        key, inline = token, None
        if token.startswith("--") and "=" in token:
            key, inline = token.split("=", 1)
        if key in FLAGS and inline is None:
            setattr(request, FLAGS[key], True)
            i += 1
            continue
        if token == "--no-parse":
            no_parse = True
            i += 1
            continue
        if key in VALUE:
            if inline is None:
                if i + 1 >= len(argv):
                    raise UsageError(f"option {key} needs a value; see 'runar sweep --help'")
                inline, i = argv[i + 1], i + 2
            else:
                i += 1
            field = VALUE[key]
            value = _convert(key, field, inline)
            if field == "tag":
                tags.append(value)
            elif field == "remote":
                remote = value
            elif field == "file":
                request.file = Path(value)
            else:
                setattr(request, field, value)
            continue
        if request.script is None and request.file is None and request.resume is None:
            if token == "-m":
                if i + 1 >= len(argv):
                    raise UsageError("option -m needs a module, e.g. 'runar sweep -m pkg.train'")
                request.script, request.module = argv[i + 1], True
                i += 2
                continue
            if token.startswith("-"):
                close = sweep_option_like(key)
                hint = f"did you mean {close}? " if close else ""
                raise UsageError(
                    f"unknown option {token!r} before the script; {hint}see 'runar sweep --help'"
                )
            request.script = token
        else:
            request.args.append(token)
        i += 1
    if request.resume is not None and (request.script or request.file or request.args):
        raise UsageError("--resume takes the sweep as it was planned; give no script or file")
    for tag in tags:
        request.runner_options += ["-t", tag]
    if no_parse:
        request.runner_options.append("--no-parse")
    if remote is not None:
        from runar.cli.runner import VALUE_OPTIONS_LONG

        if "--remote" in VALUE_OPTIONS_LONG:  # the runner uploads each point's run as it goes
            request.runner_options += ["--remote", remote]
        else:
            request.extra_env["RUNAR_REMOTE"] = remote
    return request


def _status(counts: dict[str, int]) -> str:
    order = ("completed", "running", "failed", "killed", "stopped", "crashed", "queued")
    return ", ".join(f"{counts[s]} {s}" for s in order if counts.get(s))


def show_list(as_json: bool) -> None:
    from runar.sweep.overview import list_sweeps

    rows = list_sweeps(current_store())
    if as_json:
        render.print_json(rows)
        return
    if not rows:
        print(
            "no sweeps yet — start one with: runar sweep train.py --lr 1e-3,1e-4", file=sys.stderr
        )
        return
    render.print_table(
        ["ID", "NAME", "STATUS", "POINTS", "SCRIPT", "SPACE", "CREATED"],
        [
            [
                (r["id"][:8], "dim"),
                r["name"],
                render.status_cell(r["status"]) if r["status"] != "crashed" else ("crashed", "red"),
                f"{r['points']}: {_status(r['counts'])}",
                r["script"] or "",
                " ".join(f"{k} {v}" for k, v in r["space"].items()),
                render.ago(r["created_ts"]),
            ]
            for r in rows
        ],
        flexible=(5, 4, 3),
    )


def show_one(ref: str, sort: str | None, as_json: bool) -> None:
    from runar.sweep.overview import sweep_detail

    store = current_store()
    if not store.exists:
        raise UsageError(f"no sweep matches '{ref}': this store has no runs yet")
    detail = sweep_detail(store, ref, sort)
    if as_json:
        render.print_json(detail)
        return
    options = list(detail["space"])
    metrics = render.key_metrics(p["metrics"] for p in detail["points"])
    if detail["metric"]:  # the ranking metric first, next to the status and the ★
        metrics = [detail["metric"], *(m for m in metrics if m != detail["metric"])]
    print(
        f"sweep {detail['name']} ({detail['id'][:8]}): {detail['status']}, "
        f"{len(detail['points'])} points of {detail['script']} ({_status(detail['counts'])})"
    )
    if detail["metric"]:
        print(f"best by {detail['metric']} ({detail['mode']}): ★")
    warned = any(p.get("anomalies") for p in detail["points"])  # a ⚠ column, as in `ls`
    rows = [
        [
            ("★", "green") if p["best"] else "",
            str(p["index"]),
            *(p["params"].get(o, "—") for o in options),
            render.status_cell(p["status"])
            if p["status"] in render.STATUS_GLYPHS
            else POINT_STATUS.get(p["status"], p["status"]),
            *([(f"⚠ {p['anomalies']}", "yellow") if p.get("anomalies") else ""] if warned else []),
            *(render.number(p["metrics"].get(k)) for k in metrics),
            render.duration(p["duration_s"]),
            ((p["run_id"] or "—")[:8], "dim"),
        ]
        for p in detail["points"]
    ]
    first_metric = 3 + len(options) + warned
    render.print_table(
        [
            "",
            "#",
            *(o.lstrip("-").upper() for o in options),
            "STATUS",
            *(["⚠"] if warned else []),
            *(k.upper() for k in metrics),
            "DURATION",
            "RUN",
        ],
        rows,
        right=range(first_metric, first_metric + len(metrics) + 1),
    )


def raw_args(parsed: list[str], argv: list[str]) -> list[str]:
    """`runar sweep`'s arguments as typed: click drops the first ``--``, which matters here.

    ``argv`` is the process's command line; its tail after ``sweep`` is used when it is
    ``parsed`` with one ``--`` more (so a programmatic call with other arguments keeps them).
    """
    for at, token in enumerate(argv):
        if token != "sweep":
            continue
        tail = argv[at + 1 :]
        if "--" in tail and [*tail[: tail.index("--")], *tail[tail.index("--") + 1 :]] == parsed:
            return tail
    return parsed


def sweep(ctx: typer.Context) -> None:
    """Run a script over many configurations; 'runar sweep --help' for the options."""
    args = raw_args(list(ctx.args), sys.argv[1:])
    if not args or args[0] in ("-h", "--help"):
        print(HELP, end="")
        return
    if args[0] == "ls":
        rest = args[1:]
        if any(a not in ("--json",) for a in rest):
            raise UsageError("runar sweep ls takes only --json")
        show_list("--json" in rest)
        return
    if args[0] == "show":
        rest = [a for a in args[1:] if a != "--json"]
        sort = None
        if "--sort" in rest:
            at = rest.index("--sort")
            if at + 1 >= len(rest):
                raise UsageError("option --sort needs a key, e.g. --sort val/loss or --sort -acc")
            sort = rest.pop(at + 1)
            rest.pop(at)
        if len(rest) != 1:
            raise UsageError("runar sweep show takes one sweep: a name, id or id prefix")
        show_one(rest[0], sort, "--json" in args[1:])
        return
    from runar.sweep.session import run

    request = parse(args)
    for token in request.args:  # after the script every option is the script's, typos too
        close = sweep_option_like(token.split("=", 1)[0]) if token.startswith("--") else None
        if close and "--" not in args:
            print(
                f"runar sweep: {token.split('=', 1)[0]} goes to the script; for the sweep's "
                f"own option write {close}",
                file=sys.stderr,
            )
    raise typer.Exit(run(request))


def register(app: typer.Typer) -> None:
    """Add `runar sweep` to the app; its arguments reach it untouched."""
    app.command(
        "sweep",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
        help="Run a script over many configurations (grid, ranges, random), locally or on Ray; "
        "'runar sweep ls', 'runar sweep show SWEEP'.",
    )(sweep)
