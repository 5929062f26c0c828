"""Storage going wrong under a training process, and derived state going wrong under views.

Disk full uses a real 2 MiB tmpfs and the read-only store a tmpfs remounted read-only
(both need root and mount; skipped otherwise). The index is deleted, truncated and
filled with garbage; a store is copied while a run writes into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from runar.events import MetricsLogged
from runar.journal import read_run
from runar.journal.sync import sync
from runar.store import Store
from runar.views import open_views

from .conftest import Figure

TRAIN = """
import runar
for step in range({steps}):
    runar.log({{"loss": 1 / (step + 1), "pad": step * 1e-3}}, step=step)
print("trained", flush=True)
"""


@pytest.fixture
def tmpfs(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A real 2 MiB tmpfs."""
    return mount_tmpfs("2m")


def train(root: Path, cwd: Path, steps: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RUNAR_RUN_ID"}
    script = cwd / "train.py"
    script.write_text(TRAIN.format(steps=steps))
    return subprocess.run(
        [sys.executable, str(script)],
        env={**env, "RUNAR_DIR": str(root)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def logged_steps(store: Store) -> list[int]:
    steps: list[int] = []
    for run_id in store.run_ids():
        got = read_run(store.run_dir(run_id))
        assert got.corrupt == 0
        steps += [e.step for e in got.events if isinstance(e, MetricsLogged) and e.step is not None]
    return sorted(steps)


def runar_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("runar:")]


@pytest.mark.timeout(120)
def test_disk_full_training_goes_on(
    tmpfs: Path, tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    done = train(tmpfs / ".runar", tmp_path, steps=60_000)  # ~5 MiB of log into 2 MiB
    warnings = runar_warnings(done.stderr)
    assert done.returncode == 0 and "trained" in done.stdout
    assert len(warnings) == 1 and "No space left" in warnings[0], done.stderr
    steps = logged_steps(Store(tmpfs / ".runar"))
    assert steps == list(range(len(steps))) and steps, "what was written is a readable prefix"
    figure(case="disk full", steps_logged=60_000, steps_kept=len(steps), warnings=len(warnings))


@pytest.mark.timeout(120)
def test_read_only_store_training_goes_on(
    tmpfs: Path, tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    root = tmpfs / ".runar"
    assert train(root, tmp_path, steps=100).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    done = train(root, tmp_path, steps=1000)
    warnings = runar_warnings(done.stderr)
    assert done.returncode == 0 and "trained" in done.stdout
    assert len(warnings) == 1 and "Read-only" in warnings[0], done.stderr
    assert logged_steps(Store(root)) == list(range(100)), "the earlier run stays readable"
    figure(case="read-only store", warnings=len(warnings), earlier_steps_readable=100)


@pytest.mark.timeout(60)
def test_read_only_store_can_be_listed(tmpfs: Path, tmp_path: Path, clean_env: Path) -> None:
    root = tmpfs / ".runar"
    assert train(root, tmp_path, steps=10).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    with open_views(Store(root)) as views:
        assert views.count() == 1


def view_records(store: Store) -> list[dict[str, object]]:
    with open_views(store) as views:
        return [msgspec.to_builtins(s) | {"status": views.status(s)} for s in views.runs()]


def damage_index(store: Store, how: str) -> None:
    lmdb_dir = store.index_dir / "lmdb"
    if how == "deleted":
        shutil.rmtree(store.index_dir)
    elif how == "truncated":
        data = lmdb_dir / "data.mdb"
        with open(data, "r+b") as fh:
            fh.truncate(data.stat().st_size // 3)
    else:
        for name in ("data.mdb", "lock.mdb"):
            (lmdb_dir / name).write_bytes(os.urandom(64 << 10))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "how",
    [
        "deleted",
        "truncated",
        "garbage",
    ],
)
def test_damaged_index_is_rebuilt_with_identical_views(
    tmp_path: Path, clean_env: Path, figure: Figure, how: str
) -> None:
    store = Store(tmp_path / ".runar")
    for _ in range(3):
        assert train(store.root, tmp_path, steps=300).returncode == 0
    before = view_records(store)
    damage_index(store, how)
    # a damaged LMDB file can crash the process that maps it: look from a fresh one
    code = "import sys; from runar.store import Store; from runar.views import open_views\n"
    code += "with open_views(Store(sys.argv[1])) as v: print(v.count())"
    probe = subprocess.run([sys.executable, "-c", code, str(store.root)], capture_output=True)
    assert probe.returncode == 0, probe.stderr.decode()[-500:]
    assert view_records(store) == before
    figure(case=f"index {how}", runs=len(before), views_identical=True)


WRITE_SLOWLY = """
import time, runar
for step in range(4000):
    runar.log({"loss": 1 / (step + 1)}, step=step)
    if step % 200 == 0:
        time.sleep(0.05)
"""


@pytest.mark.timeout(120)
def test_store_copied_while_writing_is_a_prefix_then_complete(
    tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    source, copy = Store(tmp_path / "a" / ".runar"), Store(tmp_path / "b" / ".runar")
    script = tmp_path / "slow.py"
    script.write_text(WRITE_SLOWLY)
    env = {**os.environ, "RUNAR_DIR": str(source.root), "RUNAR_FLUSH_INTERVAL": "0.02"}
    env.pop("RUNAR_RUN_ID", None)
    child = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path)
    copies = 0
    while child.poll() is None:
        if source.exists:
            sync(source.root, copy.root)
            copies += 1
            steps = logged_steps(copy)
            assert steps == list(range(len(steps))), "a mid-write copy is a prefix"
            with open_views(copy) as views:  # incremental views over replaced files
                assert sum(s.events for s in views.runs()) == sum(
                    len(read_run(copy.run_dir(r)).events) for r in copy.run_ids()
                )
    assert child.returncode == 0
    sync(source.root, copy.root)
    assert logged_steps(copy) == list(range(4000))
    assert view_records(copy) == view_records(source)
    figure(case="copy while writing", copies_mid_write=copies, final_steps=4000, duplicates=0)
