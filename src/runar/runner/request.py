"""What `runar SCRIPT` was asked to do, and the environment the script runs in.

RunRequest is built by the CLI (cli/runner.py, cli/reproduce.py) and carried out by
session.execute(); the RUNAR_* variables here are the contract between the runner,
the script's SDK and `runar sweep`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runar.projects import ENV_PROJECT
from runar.records import Record
from runar.store import ENV_STORE, Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from runar.events import GitState
    from runar.runner.git_state import GitProbe

ENV_RUN_ID: Final = "RUNAR_RUN_ID"
ENV_RUN_NAME: Final = "RUNAR_RUN_NAME"  # -n: the script's init(name=...) does not rename it
# set by `runar sweep` for each point's runner; never passed on to the script, so a runar
# started inside that script is not taken for the same point
ENV_SWEEP: Final = "RUNAR_SWEEP"  # the sweep's name
ENV_SWEEP_ID: Final = "RUNAR_SWEEP_ID"  # the sweep's record
ENV_SWEEP_POINT: Final = "RUNAR_SWEEP_POINT"  # the point's index
ENV_SWEEP_RUN_ID: Final = "RUNAR_SWEEP_RUN_ID"  # the run id the sweep chose for the point
SWEEP_ENV: Final = (ENV_SWEEP, ENV_SWEEP_ID, ENV_SWEEP_POINT, ENV_SWEEP_RUN_ID)
# one run for every node of a multi-node job: node 0's runner takes this id, the other
# nodes' ranks log into it through RUNAR_RUN_ID (docs/sharing.md, "Multi-node jobs")
ENV_JOB_RUN_ID: Final = "RUNAR_JOB_RUN_ID"


class RunRequest(Record):
    """A parsed `runar ...` invocation.

    Args:
        project: -p/--project; execute() fills in the default rule's answer
        import_paths: folders put first on the child's PYTHONPATH: `runar --as wandb`
            shadows `import wandb`
        rerun_of, rerun_code: `runar rerun`: the run re-executed, and its recorded git
            state and code folder, which are this run's too (its checkout lives in the
            store's cache, not in the user's tree)
        rerun_set: its --set overrides, redacted
        env_python, env_packages, env_variables: `rerun --env recorded`: the child runs
            in a rebuilt venv, whose python and packages are recorded instead of runar's
            own; env_variables (VIRTUAL_ENV, PATH…) select it
        remote: --remote / RUNAR_REMOTE: upload as it runs (remote/live.py)
        live: started once the child runs, given the store and run id; returns what
            stops it, told whether a last look could find anything (the script printed,
            or its SDK wrote). The CLI passes the live anomaly notices
            (views/anomaly_live.py): the runner imports no views
        git_probe: the CLI starts git's first round before runar's imports load, so
            both overlap
    """

    __slots__ = (
        "argv",
        "command",
        "env_packages",
        "env_python",
        "env_variables",
        "git_probe",
        "import_paths",
        "live",
        "name",
        "note",
        "parse_output",
        "project",
        "remote",
        "rerun_code",
        "rerun_of",
        "rerun_set",
        "tags",
        "title",
    )  # fmt: skip

    def __init__(
        self,
        command: list[str],
        argv: list[str],
        title: str,
        name: str | None = None,
        tags: list[str] | None = None,
        note: str | None = None,
        project: str | None = None,
        parse_output: bool = True,
        import_paths: list[str] | None = None,
        rerun_of: str | None = None,
        rerun_code: tuple[GitState | None, Path] | None = None,
        rerun_set: dict[str, str] | None = None,
        env_python: str | None = None,
        env_packages: dict[str, str] | None = None,
        env_variables: dict[str, str] | None = None,
        remote: str | None = None,
        live: Callable[[Store, str], Callable[[bool], None]] | None = None,
        git_probe: GitProbe | None = None,
    ) -> None:
        self.command, self.argv, self.title, self.name = command, argv, title, name
        self.tags = tags if tags is not None else []
        self.note, self.project, self.parse_output = note, project, parse_output
        self.import_paths = import_paths if import_paths is not None else []
        self.rerun_of, self.rerun_code = rerun_of, rerun_code
        self.rerun_set = rerun_set if rerun_set is not None else {}
        self.env_python, self.env_packages = env_python, env_packages
        self.env_variables = env_variables if env_variables is not None else {}
        self.remote, self.live, self.git_probe = remote, live, git_probe


def child_environment(
    store: Store,
    run_id: str,
    import_paths: list[str] | None = None,
    project: str | None = None,
    stdout_is_terminal: bool = False,
    name: str | None = None,
) -> dict[str, str]:
    """The child's environment: ours, plus where and as which run the SDK should log."""
    env = {**os.environ, ENV_RUN_ID: run_id, ENV_STORE: str(store.root)}
    env.pop(ENV_RUN_NAME, None)  # an outer `runar -n`'s name is not this run's
    if name:
        env[ENV_RUN_NAME] = name
    if not stdout_is_terminal:
        # into a pipe, prints must stream, not arrive at exit. On a pty Python already
        # flushes per line, as in a plain terminal; unbuffered, a print's pieces are
        # separate writes and a stderr line could land in the middle of a stdout line
        env["PYTHONUNBUFFERED"] = "1"
    if project:  # a Run() the script opens is a run of the same project
        env[ENV_PROJECT] = project
    for name in SWEEP_ENV:
        env.pop(name, None)
    if import_paths:  # the child only: runar's own process and site-packages stay as they are
        env["PYTHONPATH"] = os.pathsep.join([*import_paths, *filter(None, [env.get("PYTHONPATH")])])
    return env


def sweep_fields() -> dict[str, str | int | None]:
    """RunStarted's sweep fields when `runar sweep` launched this runner, else nothing."""
    name = os.environ.get(ENV_SWEEP)
    if not name:
        return {}
    point = os.environ.get(ENV_SWEEP_POINT, "")
    return {
        "sweep": name,
        "sweep_id": os.environ.get(ENV_SWEEP_ID) or None,
        "sweep_point": int(point) if point.isdigit() else None,
    }
