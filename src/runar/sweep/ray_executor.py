"""Points as Ray tasks: `runar sweep --on ray` (a local Ray) or `--on ray://HOST:PORT`.

Each point is one task with the resources asked for (``--cpus-per-run``,
``--gpus-per-run``; Ray sets CUDA_VISIBLE_DEVICES for the GPUs it grants). The task
starts the same `runar` runner a local sweep starts, with the worker's own Python,
in the sweep's folder when the worker has it (a shared file system) or else in the
folder Ray shipped (``runtime_env.working_dir``, for a remote cluster). The run lands
in RUNAR_DIR (a folder every worker sees) or, with ``--remote``, in the team store.
Ctrl-C posts SIGINT (then SIGTERM) on a small actor every task reads; a task passes it
on to its runner, which records its run as killed, and a task that was still waiting
for a worker returns without starting. The last resort is a forced ray.cancel().
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from runar.errors import UsageError
from runar.runner.request import ENV_SWEEP_RUN_ID
from runar.sweep.local import TAIL_LINES, _die_with_parent

EXIT_CANCELLED: Final = 130
PASSED_ENV_PREFIX: Final = "RUNAR_"  # only runar's variables travel to the workers
WORKING_DIR_EXCLUDES: Final = [".runar", ".git", ".venv", "__pycache__", "*.pyc"]
POLL_S: Final = 0.5  # how often a task reads the signal board


class SignalBoard:
    """A Ray actor the sweep posts signals on and each task reads: Ctrl-C across the cluster.

    ray.cancel() is no way to pass SIGINT on: a task blocked in a wait does not see it,
    and a forced cancel SIGKILLs the worker's children, so their runs could not say how
    they ended. A task asks the board every POLL_S instead.
    """

    def __init__(self) -> None:
        self.signals: dict[str, int] = {}

    def send(self, run_id: str, signum: int) -> None:
        self.signals[run_id] = signum

    def read(self, run_id: str) -> int:
        return self.signals.get(run_id, 0)


def run_point(
    runner_args: list[str],
    env: dict[str, str],
    cwd: str,
    verbose: bool,
    index: int,
    board: Any = None,
) -> tuple[int, list[str]]:
    """On a Ray worker: run one point's runner; its exit code and last output lines."""
    import ray

    run_id = env.get(ENV_SWEEP_RUN_ID, "")
    if board is not None and ray.get(board.read.remote(run_id)):
        return EXIT_CANCELLED, []  # stopped while it waited for a worker: never started
    command = [sys.executable, "-m", "runar", *runner_args]
    workdir = cwd if os.path.isdir(cwd) else os.getcwd()
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # a killed worker takes its runner with it
    )
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            tail.append(line)
            if verbose:
                print(f"[{index}] {line}", flush=True)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent = 0
    while True:
        try:
            code = process.wait(POLL_S)
            break
        except subprocess.TimeoutExpired:
            pass
        wanted = ray.get(board.read.remote(run_id)) if board is not None else 0
        if wanted and wanted != sent:  # SIGINT, then SIGTERM: what the sweep was told
            sent = wanted
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(wanted)
    reader.join(timeout=1.0)
    return code, list(tail)


@dataclass
class RayJob:
    ref: Any
    run_id: str
    tail: list[str]


class RayBackend:
    """Submit points to a Ray cluster as tasks; Ray queues what it cannot run yet."""

    def __init__(self, on: str, cpus: float | None, gpus: float | None, verbose: bool) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--on ray needs Ray: pip install 'runar[ray]'") from None
        self.ray = ray
        self.address = None if on == "ray" else on
        self.started_ray = False
        if not ray.is_initialized():
            runtime_env: dict[str, Any] = {}
            if self.address is not None:  # a remote cluster: ship the code the points run
                runtime_env = {"working_dir": os.getcwd(), "excludes": WORKING_DIR_EXCLUDES}
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=verbose,
                    runtime_env=runtime_env or None,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise UsageError(f"cannot reach Ray at {on}: {first}; see docs/sweeps.md") from None
            self.started_ray = True
        self.cpus = 1.0 if cpus is None else cpus
        self.gpus = 0.0 if gpus is None else gpus
        self.verbose = verbose
        self._task = ray.remote(run_point).options(
            num_cpus=self.cpus, num_gpus=self.gpus, max_retries=0
        )
        self._board = ray.remote(SignalBoard).options(num_cpus=0).remote()

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray"
        gpus = f", {self.gpus:g} GPU" if self.gpus else ""
        return f"Ray ({where}), {self.cpus:g} CPU{gpus} per point"

    def launch(self, index: int, command: list[str], env: dict[str, str], cwd: Path) -> RayJob:
        passed = {k: v for k, v in env.items() if k.startswith(PASSED_ENV_PREFIX)}
        runner_args = command[3:]  # after `python -m runar`: the worker uses its own Python
        ref = self._task.remote(runner_args, passed, str(cwd), self.verbose, index, self._board)
        return RayJob(ref, env.get(ENV_SWEEP_RUN_ID, ""), [])

    def poll(self, job: RayJob) -> int | None:
        ready, _ = self.ray.wait([job.ref], timeout=0)
        if not ready:
            return None
        try:
            code, job.tail = self.ray.get(job.ref)
        except self.ray.exceptions.TaskCancelledError:
            return EXIT_CANCELLED
        except self.ray.exceptions.RayError as exc:
            job.tail = [str(exc).splitlines()[0] if str(exc) else type(exc).__name__]
            return 1
        return int(code)

    def signal(self, job: RayJob, signum: int) -> None:
        """Pass a signal to the point's runner, through the board its task reads."""
        self._board.send.remote(job.run_id, signum)  # a waiting task reads it and never starts

    def kill(self, job: RayJob) -> None:
        """The last resort: Ray SIGKILLs the task's worker and its children."""
        self.ray.cancel(job.ref, force=True)

    def reason(self, job: RayJob) -> str | None:
        lines = [line for line in job.tail if line.strip()]
        return lines[-1].strip() if lines else None

    def close(self) -> None:
        if self.started_ray:
            self.ray.shutdown()
