"""Sample CPU/RAM of the child's process tree and, when NVML is there, every GPU.

Runs on a daemon thread: the first sample is taken FIRST_SAMPLE_S after the child
starts, so even a three-second run has figures while a script that is over at once
never pays for loading psutil and NVML, then one every SAMPLE_INTERVAL_S (RUNAR_SAMPLE_INTERVAL
overrides it); past LONG_RUN_S the period stretches to LONG_RUN_INTERVAL_S unless it was
set by hand, so a week-long run does not write a sample every two seconds. A process
seen for the first time reports its average CPU% since it started (psutil's own
figure needs a previous reading). When the child is gone its group's leftovers, which
runar adopted as a subreaper, are sampled until they are gone too. No GPU, no driver
or no pynvml: GPU figures are simply absent, nothing is printed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the sampler is made before the journal (msgspec) loads
    import psutil

    from runar.events import GpuSample, SystemSampled

SAMPLE_INTERVAL_S: Final = 2.0
# psutil and pynvml cost ~15 ms of CPU to load, on the runner's critical path for a short
# script; a process this young has no meaningful figures anyway (see YOUNGEST_S)
FIRST_SAMPLE_S: Final = 0.2
YOUNGEST_S: Final = 0.1
LONG_RUN_S: Final = 3600.0
LONG_RUN_INTERVAL_S: Final = 10.0
ENV_SAMPLE_INTERVAL: Final = "RUNAR_SAMPLE_INTERVAL"
MILLIWATTS_PER_WATT: Final = 1000.0


def sample_interval() -> float:
    """The sampling period: the default, or a positive RUNAR_SAMPLE_INTERVAL."""
    try:
        value = float(os.environ.get(ENV_SAMPLE_INTERVAL, ""))
    except ValueError:
        return SAMPLE_INTERVAL_S
    return value if value > 0 else SAMPLE_INTERVAL_S


def interval_at(elapsed: float, interval: float, tuned: bool) -> float:
    """The period to wait after ``elapsed`` seconds of sampling."""
    if tuned or elapsed < LONG_RUN_S:
        return interval
    return max(interval, LONG_RUN_INTERVAL_S)


def load_nvml() -> ModuleType | None:
    """The initialized pynvml module, or None when there is no usable NVIDIA driver."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # ImportError, NVMLError_LibraryNotFound, driver mismatch: all "no GPU"
        return None
    return pynvml


def _decoded(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def gpu_samples(nvml: ModuleType) -> list[GpuSample]:
    """One GpuSample per device; a figure the device will not give stays None."""
    from runar.events import GpuSample

    samples: list[GpuSample] = []
    try:
        count = int(nvml.nvmlDeviceGetCount())
    except Exception:
        return samples
    for index in range(count):
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
        except Exception:
            continue
        sample = GpuSample(index=index)
        with contextlib.suppress(Exception):
            sample.name = _decoded(nvml.nvmlDeviceGetName(handle))
        with contextlib.suppress(Exception):
            sample.util_percent = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        with contextlib.suppress(Exception):
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            sample.mem_used, sample.mem_total = int(memory.used), int(memory.total)
        with contextlib.suppress(Exception):
            sample.power_w = nvml.nvmlDeviceGetPowerUsage(handle) / MILLIWATTS_PER_WATT
        with contextlib.suppress(Exception):
            sample.temp_c = float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        samples.append(sample)
    return samples


class ProcessTree:
    """CPU% and RSS of a process and all its descendants, across samples.

    Args:
        adopter: once the root is gone, sample this process' descendants instead (runar
            itself, which adopts the child's orphans as a subreaper)
    """

    def __init__(self, pid: int, adopter: int | None = None) -> None:
        import psutil

        self._psutil = psutil
        self._root = psutil.Process(pid)
        self._adopter = psutil.Process(adopter) if adopter is not None else None
        self._known: dict[int, psutil.Process] = {}
        self._total_ram = psutil.virtual_memory().total

    def _members(self) -> list[psutil.Process]:
        psutil = self._psutil
        try:
            if self._root.is_running() and self._root.status() != psutil.STATUS_ZOMBIE:
                return [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            pass
        if self._adopter is None:
            return []
        try:
            return list(self._adopter.children(recursive=True))
        except psutil.Error:
            return []

    def _cpu_percent(self, proc: psutil.Process) -> float:
        known = self._known.get(proc.pid)
        if known is not None:
            return float(known.cpu_percent(None))  # since this process' previous call
        proc.cpu_percent(None)  # the baseline for the next sample
        times = proc.cpu_times()
        alive_s = time.time() - proc.create_time()
        if alive_s < YOUNGEST_S:  # create_time ticks at 10 ms: no figure yet, not a wild one
            return 0.0
        return 100.0 * (times.user + times.system) / alive_s

    def sample(self, gpus: list[GpuSample]) -> SystemSampled | None:
        """Figures since the previous call, or None once no process is left."""
        from runar.events import SystemSampled

        psutil = self._psutil
        members = self._members()
        if not members:
            return None
        cpu, rss, alive = 0.0, 0, {}
        for proc in members:
            proc = self._known.get(proc.pid, proc)
            try:
                memory = proc.memory_info().rss
                if memory == 0:
                    continue  # a zombie waiting to be reaped: exited, holds nothing
                cpu += self._cpu_percent(proc)
                rss += memory
            except psutil.Error:
                continue
            alive[proc.pid] = proc
        if not alive:
            return None
        self._known = alive
        ram = 100.0 * rss / self._total_ram if self._total_ram else None
        return SystemSampled(cpu_percent=cpu, rss_bytes=rss, ram_percent=ram, gpus=gpus)


class Sampler:
    """A daemon thread that emits SystemSampled for a running child."""

    def __init__(
        self,
        emit: Callable[[SystemSampled], None],
        interval: float | None = None,
        adopter: int | None = None,
        first_after: float = FIRST_SAMPLE_S,
    ):
        self._emit = emit
        self._first_after = first_after
        self._tuned = interval is not None or os.environ.get(ENV_SAMPLE_INTERVAL) is not None
        self.interval = interval if interval is not None else sample_interval()
        self._adopter = adopter
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        """Begin sampling the process tree rooted at ``pid``."""
        self._thread = threading.Thread(
            target=self._loop, args=(pid,), name="runar-sampler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread (a sample in progress finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self, pid: int) -> None:
        if self._stop.wait(self._first_after):
            return  # over before the first sample was due
        try:
            tree = ProcessTree(pid, self._adopter)
        except Exception:  # the child was gone before the first look: nothing to sample
            return
        nvml = load_nvml()
        started = time.monotonic()
        try:
            while True:
                sample = tree.sample(gpu_samples(nvml) if nvml is not None else [])
                if sample is None:
                    return
                self._emit(sample)
                wait = interval_at(time.monotonic() - started, self.interval, self._tuned)
                if self._stop.wait(wait):
                    return
        finally:
            if nvml is not None:
                with contextlib.suppress(Exception):
                    nvml.nvmlShutdown()
