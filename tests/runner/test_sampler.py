"""System sampling: a real process tree through psutil, GPUs through a fake pynvml."""

from __future__ import annotations

import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from runar.events import SystemSampled
from runar.runner.sampler import (
    ProcessTree,
    Sampler,
    gpu_samples,
    interval_at,
    load_nvml,
    sample_interval,
)
from runar.store import Store

from .helpers import RUNAR, events_of, of_type, runar_env, write_script

GRANDCHILD = "import time; x = b'\\1' * (20 << 20); print('ready', flush=True); time.sleep(60)"
TREE_SCRIPT = f"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", {GRANDCHILD!r}])
time.sleep(60)
"""


@pytest.fixture
def process_tree() -> Iterator[subprocess.Popen[str]]:
    """A python process with one child of its own that holds 20 MB (it says when)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TREE_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    import os
    import signal

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def fake_nvml(devices: int = 2, broken_power: bool = False) -> types.ModuleType:
    """A stand-in for pynvml: the one part of the system that cannot exist here."""
    nvml = types.ModuleType("pynvml")
    nvml.NVML_TEMPERATURE_GPU = 0  # type: ignore[attr-defined]
    nvml.nvmlInit = lambda: None  # type: ignore[attr-defined]
    nvml.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetCount = lambda: devices  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetName = lambda h: b"Tesla T4"  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=50 + h)  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=1 << 30, total=16 << 30)  # type: ignore[attr-defined]

    def power(handle: int) -> int:
        if broken_power:
            raise RuntimeError("NVML_ERROR_NOT_SUPPORTED")
        return 70_500

    nvml.nvmlDeviceGetPowerUsage = power  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetTemperature = lambda h, kind: 64  # type: ignore[attr-defined]
    return nvml


def test_gpu_figures_come_from_nvml() -> None:
    first, second = gpu_samples(fake_nvml())
    assert (first.index, first.name, first.util_percent) == (0, "Tesla T4", 50.0)
    assert (first.mem_used, first.mem_total) == (1 << 30, 16 << 30)
    assert (first.power_w, first.temp_c) == (70.5, 64.0)
    assert second.index == 1 and second.util_percent == 51.0


def test_a_figure_the_gpu_will_not_give_is_left_out() -> None:
    (sample,) = gpu_samples(fake_nvml(devices=1, broken_power=True))
    assert sample.power_w is None and sample.temp_c == 64.0


def test_load_nvml_uses_the_pynvml_module(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_nvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert load_nvml() is fake


def test_no_driver_means_no_gpu_and_no_noise(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = fake_nvml()

    def no_driver() -> None:
        raise OSError("NVML Shared Library Not Found")

    fake.nvmlInit = no_driver  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert load_nvml() is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.timeout(30)
def test_process_tree_counts_the_children_memory(process_tree: subprocess.Popen[str]) -> None:
    import psutil

    tree = ProcessTree(process_tree.pid)
    tree.sample([])
    sample = tree.sample([])
    assert sample is not None
    parent_only = psutil.Process(process_tree.pid).memory_info().rss
    assert sample.rss_bytes >= parent_only + (20 << 20)
    assert sample.ram_percent is not None and 0 < sample.ram_percent < 100


@pytest.mark.timeout(30)
def test_sampler_emits_samples_with_gpus_while_the_child_runs(
    process_tree: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(devices=1))
    samples: list[SystemSampled] = []
    two = threading.Event()

    def emit(sample: SystemSampled) -> None:
        samples.append(sample)
        if len(samples) >= 2:
            two.set()

    sampler = Sampler(emit, interval=0.05)
    sampler.start(process_tree.pid)
    assert two.wait(20)
    sampler.stop()
    assert samples[0].rss_bytes > 0
    assert samples[0].gpus[0].name == "Tesla T4"


@pytest.mark.timeout(30)
def test_sampler_stops_quietly_when_the_child_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    samples: list[SystemSampled] = []
    sampler = Sampler(samples.append, interval=0.01)
    sampler.start(proc.pid)
    sampler.stop()
    assert samples == []


def test_interval_is_tunable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNAR_SAMPLE_INTERVAL", "0.25")
    assert sample_interval() == 0.25
    monkeypatch.setenv("RUNAR_SAMPLE_INTERVAL", "nonsense")
    assert sample_interval() == 2.0


@pytest.mark.timeout(30)
def test_the_first_sample_does_not_wait_an_interval(process_tree: subprocess.Popen[str]) -> None:
    first = threading.Event()
    samples: list[SystemSampled] = []

    def emit(sample: SystemSampled) -> None:
        samples.append(sample)
        first.set()

    sampler = Sampler(emit, interval=600)  # the next one would be ten minutes away
    sampler.start(process_tree.pid)
    assert first.wait(20)
    sampler.stop()
    assert len(samples) == 1 and samples[0].rss_bytes >= 20 << 20


@pytest.mark.timeout(30)
def test_a_new_process_reports_its_average_cpu_since_it_started() -> None:
    busy = (
        "import time\n"
        "end = time.process_time() + 0.5\n"
        "while time.process_time() < end: pass\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", busy], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        sample = ProcessTree(proc.pid).sample([])
        assert sample is not None and sample.cpu_percent > 0
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    ("elapsed", "tuned", "expected"),
    [(10.0, False, 2.0), (7200.0, False, 10.0), (7200.0, True, 2.0)],
)
def test_the_period_stretches_for_long_runs_unless_set_by_hand(
    elapsed: float, tuned: bool, expected: float
) -> None:
    assert interval_at(elapsed, 2.0, tuned) == expected


@pytest.mark.timeout(60)
def test_a_three_second_run_has_figures_at_the_default_interval(
    store: Store, tmp_path: Path
) -> None:
    write_script(tmp_path, "import time\nx = bytearray(30 << 20)\ntime.sleep(2.5)\n")
    env = {k: v for k, v in runar_env().items() if k != "RUNAR_SAMPLE_INTERVAL"}
    subprocess.run([*RUNAR, "script.py"], cwd=tmp_path, env=env, check=True, timeout=60)
    samples = of_type(events_of(store), SystemSampled)
    assert samples and all(s.rss_bytes > 0 for s in samples)


def test_a_script_over_before_the_first_sample_costs_no_psutil() -> None:
    code = (
        "import subprocess, sys\n"
        "from runar.runner.sampler import Sampler\n"
        "got = []\n"
        "child = subprocess.Popen(['sleep', '30'])\n"
        "sampler = Sampler(got.append, interval=0.01, first_after=30)\n"
        "sampler.start(child.pid)\n"
        "sampler.stop()\n"
        "child.kill()\n"
        "print(got == [], 'psutil' in sys.modules, 'pynvml' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["True", "False", "False"]
