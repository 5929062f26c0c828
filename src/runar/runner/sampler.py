"""Sample CPU/RAM of the child's process tree and, when NVML is there, every GPU.

Runs on a daemon thread every SAMPLE_INTERVAL_S (RUNAR_SAMPLE_INTERVAL overrides it).
psutil is imported on that thread one interval in, so short scripts never pay for it. The
first figures come two intervals in (CPU% needs a previous reading). No GPU, no
driver or no pynvml: GPU figures are simply absent, nothing is printed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Final

from runar.events import GpuSample, SystemSampled

if TYPE_CHECKING:
    import psutil

SAMPLE_INTERVAL_S: Final = 2.0
ENV_SAMPLE_INTERVAL: Final = "RUNAR_SAMPLE_INTERVAL"
MILLIWATTS_PER_WATT: Final = 1000.0


def sample_interval() -> float:
    """The sampling period: the default, or a positive RUNAR_SAMPLE_INTERVAL."""
    try:
        value = float(os.environ.get(ENV_SAMPLE_INTERVAL, ""))
    except ValueError:
        return SAMPLE_INTERVAL_S
    return value if value > 0 else SAMPLE_INTERVAL_S


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
    """CPU% and RSS of a process and all its descendants, across samples."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._psutil = psutil
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {}
        self._total_ram = psutil.virtual_memory().total

    def sample(self, gpus: list[GpuSample]) -> SystemSampled | None:
        """Figures since the previous call, or None once the root process is gone."""
        psutil = self._psutil
        try:
            members = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return None
        cpu, rss, alive = 0.0, 0, {}
        for proc in members:
            known = self._known.get(proc.pid, proc)
            try:
                cpu += known.cpu_percent(None)  # since this process' previous call
                rss += known.memory_info().rss
            except psutil.Error:
                continue
            alive[proc.pid] = known
        self._known = alive
        ram = 100.0 * rss / self._total_ram if self._total_ram else None
        return SystemSampled(cpu_percent=cpu, rss_bytes=rss, ram_percent=ram, gpus=gpus)


class Sampler:
    """A daemon thread that emits SystemSampled for a running child."""

    def __init__(self, emit: Callable[[SystemSampled], None], interval: float | None = None):
        self._emit = emit
        self.interval = interval if interval is not None else sample_interval()
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
        # psutil costs ~50 ms to import: a short script should end before paying it
        if self._stop.wait(self.interval):
            return
        try:
            tree = ProcessTree(pid)
            tree.sample([])  # primes cpu_percent; the first real figure comes one interval on
        except Exception:  # the child was gone before the first look: nothing to sample
            return
        nvml = load_nvml()
        try:
            while not self._stop.wait(self.interval):
                sample = tree.sample(gpu_samples(nvml) if nvml is not None else [])
                if sample is None:
                    return
                self._emit(sample)
        finally:
            if nvml is not None:
                with contextlib.suppress(Exception):
                    nvml.nvmlShutdown()
