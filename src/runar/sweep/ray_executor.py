"""Points as Ray tasks: `runar sweep --on ray` (a local Ray) or `--on ray://HOST:PORT`.

Each point is one task with the resources asked for (``--cpus-per-run``,
``--gpus-per-run``; Ray sets CUDA_VISIBLE_DEVICES for the GPUs it grants). The task
starts the same `runar` runner a local sweep starts, with the worker's own Python,
in the sweep's folder when the worker has it (a shared file system) or else in the
folder Ray shipped (``runtime_env.working_dir``, for a remote cluster). The run lands
in RUNAR_DIR (a folder every worker sees) or, with ``--remote``, in the team store.
Ctrl-C cancels the tasks; a cancelled task passes SIGINT to its runner, then SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from runar.errors import UsageError
from runar.sweep.local import TAIL_LINES, _die_with_parent

EXIT_CANCELLED: Final = 130
PASSED_ENV_PREFIX: Final = "RUNAR_"  # only runar's variables travel to the workers
WORKING_DIR_EXCLUDES: Final = [".runar", ".git", ".venv", "__pycache__", "*.pyc"]
TASK_GRACE_S: Final = 10.0


def run_point(
    runner_args: list[str], env: dict[str, str], cwd: str, verbose: bool, index: int
) -> tuple[int, list[str]]:
    """On a Ray worker: run one point's runner; its exit code and last output lines."""
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
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            tail.append(line)
            if verbose:
                print(f"[{index}] {line}", flush=True)
        return process.wait(), list(tail)
    except KeyboardInterrupt:  # ray.cancel(): stop the run the way Ctrl-C stops a local one
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            try:
                process.send_signal(signum)
                return process.wait(TASK_GRACE_S), list(tail)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                break
        return process.wait(), list(tail)


@dataclass
class RayJob:
    ref: Any
    tail: list[str]
    cancelled: bool = False


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

    def describe(self) -> str:
        where = self.address or "a local Ray"
        gpus = f", {self.gpus:g} GPU" if self.gpus else ""
        return f"Ray ({where}), {self.cpus:g} CPU{gpus} per point"

    def launch(self, index: int, command: list[str], env: dict[str, str], cwd: Path) -> RayJob:
        passed = {k: v for k, v in env.items() if k.startswith(PASSED_ENV_PREFIX)}
        runner_args = command[3:]  # after `python -m runar`: the worker uses its own Python
        ref = self._task.remote(runner_args, passed, str(cwd), self.verbose, index)
        return RayJob(ref, [])

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
        if not job.cancelled:  # the task itself escalates SIGINT → SIGTERM → SIGKILL
            job.cancelled = True
            self.ray.cancel(job.ref, force=False)

    def kill(self, job: RayJob) -> None:
        self.ray.cancel(job.ref, force=True)

    def reason(self, job: RayJob) -> str | None:
        lines = [line for line in job.tail if line.strip()]
        return lines[-1].strip() if lines else None

    def close(self) -> None:
        if self.started_ray:
            self.ray.shutdown()
