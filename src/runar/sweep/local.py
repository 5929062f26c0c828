"""Points as child processes on this machine: one `runar` runner per point, N at a time.

Each runner starts in a session of its own, so the terminal's Ctrl-C reaches the sweep
alone and the sweep decides what the children get (SIGINT, then SIGTERM, then SIGKILL
for whatever is left of the tree). On Linux a child also gets SIGTERM if the sweep
itself dies (PR_SET_PDEATHSIG), so a killed sweep leaves no point running unwatched.
With GPUs each worker slot owns one, through CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

TAIL_LINES: Final = 20  # what a failed runner said, kept for its one-line reason
_PR_SET_PDEATHSIG: Final = 1


def gpu_ids() -> list[str]:
    """This machine's NVIDIA GPUs as CUDA_VISIBLE_DEVICES values; [] without any."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g.strip() for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    from runar.runner.sampler import load_nvml

    nvml = load_nvml()
    if nvml is None:
        return []
    try:
        return [str(i) for i in range(int(nvml.nvmlDeviceGetCount()))]
    except Exception:  # a driver that answers init but not the count: no usable GPU
        return []


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the sweep that started it dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


@dataclass
class LocalJob:
    """A running point: its runner process and what it printed last."""

    process: subprocess.Popen[bytes]
    slot: int
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None


class LocalBackend:
    """Run each point's runner as a child process; ``jobs`` at once."""

    def __init__(
        self, jobs: int, gpus: list[str], echo: Callable[[int, str], None] | None = None
    ) -> None:
        self.jobs = jobs
        self.gpus = gpus
        self.echo = echo  # -v: each output line, with the point's index
        self._free = list(range(jobs))

    def describe(self) -> str:
        pinned = f", GPUs {','.join(self.gpus)}" if self.gpus else ""
        return f"{self.jobs} local worker{'s' if self.jobs != 1 else ''}{pinned}"

    def launch(self, index: int, command: list[str], env: dict[str, str], cwd: Path) -> LocalJob:
        slot = self._free.pop(0)
        if self.gpus:
            env = {**env, "CUDA_VISIBLE_DEVICES": self.gpus[slot % len(self.gpus)]}
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C on the terminal is the sweep's to relay
            preexec_fn=_die_with_parent,  # only prctl: no lock is taken
        )
        job = LocalJob(process, slot)
        job.reader = threading.Thread(target=self._read, args=(index, job), daemon=True)
        job.reader.start()
        return job

    def _read(self, index: int, job: LocalJob) -> None:
        stream = job.process.stdout
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            job.tail.append(line)
            if self.echo is not None:
                self.echo(index, line)
        stream.close()

    def poll(self, job: LocalJob) -> int | None:
        """The runner's exit code once it ended, else None."""
        code = job.process.poll()
        if code is None:
            return None
        if job.reader is not None:
            job.reader.join(timeout=1.0)
        self._free.append(job.slot)
        self._free.sort()
        return code

    def signal(self, job: LocalJob, signum: int) -> None:
        """Pass a signal to the point's runner, which passes it on to the script's group."""
        with contextlib.suppress(ProcessLookupError):
            job.process.send_signal(signum)

    def kill(self, job: LocalJob) -> None:
        """SIGKILL the runner and everything it started."""
        import psutil

        try:
            tree = [
                job.process.pid,
                *(c.pid for c in psutil.Process(job.process.pid).children(True)),
            ]
        except psutil.NoSuchProcess:
            tree = [job.process.pid]
        for pid in tree:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def reason(self, job: LocalJob) -> str | None:
        """The runner's last words, for a point whose run was never recorded."""
        lines = [line for line in job.tail if line.strip()]
        return lines[-1].strip() if lines else None

    def close(self) -> None:
        pass
