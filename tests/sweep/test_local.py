"""A real local sweep: runner subprocesses, the record, Ctrl-C and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from runar.journal import read_run
from runar.store import Store
from runar.sweep.overview import list_sweeps, sweep_detail
from runar.sweep.record import find_sweep, fold_record
from runar.views import open_views
from tests.sweep.conftest import SCRIPT


def sweep_runs(store, name):
    with open_views(store) as views:
        return [s for s in views.runs() if s.sweep == name]


@dataclass
class Grid:
    """One real 6-point `-j 2` sweep, shared by the tests that only read what it left."""

    store: Store
    folder: Path
    env: dict[str, str]
    done: subprocess.CompletedProcess[str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runar", *args],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Grid:
    folder = tmp_path_factory.mktemp("grid")
    (folder / "train.py").write_text(SCRIPT)
    store = Store(folder / ".runar")
    env = {**os.environ, "RUNAR_DIR": str(store.root), "RUNAR_FLUSH_INTERVAL": "0.05"}
    env.pop("RUNAR_RUN_ID", None)
    found = Grid(store, folder, env, subprocess.CompletedProcess([], 0))
    found.done = found.cli(
        "sweep", "train.py", "--lr", "1e-3,1e-2", "--seed", "0..2", "-j", "2", "-n", "grid"
    )
    return found


def test_a_two_worker_sweep_runs_every_point_as_a_tagged_run(grid):
    assert grid.done.returncode == 0, grid.done.stderr
    runs = sweep_runs(grid.store, "grid")
    assert len(runs) == 6
    configs = sorted((s.config_values()["lr"], s.config_values()["seed"]) for s in runs)
    assert configs == [(lr, seed) for lr in (1e-3, 1e-2) for seed in (0, 1, 2)]
    sweep_id = find_sweep(grid.store, "grid")
    for s in runs:
        assert "sweep:grid" in s.tag_list()
        assert s.started.sweep_id == sweep_id and s.started.sweep_point in range(6)
        assert s.recorded_status == "completed"
    assert sorted(s.display_name for s in runs) == [f"grid-{i}" for i in range(6)]
    # lr 1e-2 at seed 0 ends with the lowest loss: the best is reported
    assert "best: point 3" in grid.done.stderr and "loss=0.01\n" in grid.done.stderr


def test_the_sweep_record_is_in_the_log_and_hidden_from_ls(grid):
    sweep_id = find_sweep(grid.store, "grid")
    state = fold_record(grid.store, sweep_id)
    assert state.status == "completed"
    assert state.config["space"] == {"--lr": "1e-3,1e-2", "--seed": "0..2"}
    assert [p.status for p in state.points.values()] == ["completed"] * 6
    assert all(p.run_id for p in state.points.values())
    ids = {r["id"] for r in json.loads(grid.cli("ls", "--json").stdout)}
    assert sweep_id not in ids and len(ids) == 6


def test_the_script_does_not_see_the_sweep_variables(grid):
    run = sweep_runs(grid.store, "grid")[0]
    events = read_run(grid.store.run_dir(run.run_id)).events
    output = "".join(e.content() for e in events if hasattr(e, "stream"))
    assert "script sees RUNAR_SWEEP: None" in output


def test_show_and_ls_list_points_with_the_best_marked(grid):
    detail = sweep_detail(grid.store, "grid")  # what `runar sweep show --json` prints
    assert [p["params"] for p in detail["points"]][:2] == [
        {"--lr": "1e-3", "--seed": "0"},
        {"--lr": "1e-3", "--seed": "1"},
    ]
    assert [p["index"] for p in detail["points"] if p["best"]] == [3]
    by_loss = sweep_detail(grid.store, "grid", sort="-loss")
    assert [p["index"] for p in by_loss["points"]] == [2, 1, 0, 5, 4, 3]  # the worst first
    assert "★" in grid.cli("sweep", "show", "grid").stdout
    listed = list_sweeps(grid.store)
    assert [(r["name"], r["points"], r["status"]) for r in listed] == [("grid", 6, "completed")]


def test_a_taken_name_and_a_bad_spec_are_one_line_each(grid):
    again = grid.cli("sweep", "train.py", "--seed", "0,1", "-n", "grid")
    assert again.returncode == 1 and "--resume grid" in again.stderr
    bad = grid.cli("sweep", "train.py", "--lr", "0:1:log:3")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "option --lr" in bad.stderr and "Traceback" not in bad.stderr


def test_max_failures_starts_no_new_point(store, sweep_cli, project):
    (project / "train.py").write_text("import sys; sys.exit(3)\n")
    done = sweep_cli("train.py", "--seed", "0..5", "--max-failures", "2", "-n", "broken")
    assert done.returncode == 1
    state = fold_record(store, find_sweep(store, "broken"))
    assert state.status == "failed"
    statuses = [p.status for p in state.points.values()]
    assert statuses.count("failed") == 2 and statuses.count("queued") == 4


def _sweep_processes(script: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and str(script) in " ".join(
                proc.info["cmdline"] or []
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _start_hanging_sweep(project: Path, name: str) -> subprocess.Popen[str]:
    """`runar sweep` over seeds 0..4 with -j 2, once points 2 and 3 (which hang) run."""
    (project / "hang.flag").write_text("")
    command = [sys.executable, "-m", "runar", "sweep", str(project / "train.py"),
               "--seed", "0..4", "-j", "2", "-n", name, "--grace", "3"]  # fmt: skip
    sweep = subprocess.Popen(
        command,
        cwd=project,
        env={**os.environ, "HANG_FROM": "2"},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert sweep.stderr is not None
    started: set[str] = set()
    deadline = time.monotonic() + 60
    while len(started) < 2 and time.monotonic() < deadline:
        line = sweep.stderr.readline()
        for point in ("point 2 ", "point 3 "):
            if f"▶ {point}" in line:
                started.add(point)
    time.sleep(1.0)  # both runners have started their scripts
    return sweep


def test_ctrl_c_stops_the_running_points_keeps_the_queued_and_resume_runs_the_rest(
    store, sweep_cli, project
):
    script = project / "train.py"
    sweep = _start_hanging_sweep(project, "cut")
    sweep.send_signal(signal.SIGINT)
    _, rest = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, rest
    assert "runar sweep --resume cut" in rest
    time.sleep(0.3)
    assert _sweep_processes(script) == []  # no runner, no script left behind
    state = fold_record(store, find_sweep(store, "cut"))
    assert state.status == "killed"
    assert [state.points[i].status for i in range(5)] == [
        *("completed", "completed", "killed", "killed", "queued")
    ]
    with open_views(store) as views:
        killed = [views.status(views.get(state.points[i].run_id)) for i in (2, 3)]
    assert killed == ["killed", "killed"]

    (project / "hang.flag").unlink()
    resumed = sweep_cli("--resume", "cut", env={"HANG_FROM": "2"})
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming 3 of 5" in resumed.stderr
    state = fold_record(store, find_sweep(store, "cut"))
    assert state.status == "completed"
    assert all(p.status == "completed" for p in state.points.values())
    assert [len(state.points[i].runs) for i in range(5)] == [1, 1, 2, 2, 1]
    assert len(sweep_runs(store, "cut")) == 7  # 2 + 2 killed + 3 resumed


def test_with_gpus_each_worker_owns_one_through_cuda_visible_devices(store, sweep_cli):
    # two GPUs, as CUDA_VISIBLE_DEVICES announces them (this machine has none to find by NVML)
    done = sweep_cli("train.py", "--seed", "0,1", "-n", "gpus", env={"CUDA_VISIBLE_DEVICES": "0,1"})
    assert done.returncode == 0, done.stderr
    assert "2 local workers, GPUs 0,1" in done.stderr  # -j defaults to one per GPU
    runs = sweep_runs(store, "gpus")
    pinned = {s.started.env["CUDA_VISIBLE_DEVICES"] for s in runs}
    assert pinned == {"0", "1"}  # the two points start together, one on each GPU


def test_a_killed_sweep_takes_its_points_with_it_and_resumes(store, sweep_cli, project):
    sweep = _start_hanging_sweep(project, "gone")
    sweep.kill()  # SIGKILL: the sweep can pass nothing on; the kernel tells its children
    sweep.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while _sweep_processes(project / "train.py") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _sweep_processes(project / "train.py") == []
    assert [r["status"] for r in list_sweeps(store)] == ["crashed"]
    (project / "hang.flag").unlink()
    resumed = sweep_cli("--resume", "gone", env={"HANG_FROM": "2"})
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming 3 of 5" in resumed.stderr  # 0 and 1 completed before the kill
