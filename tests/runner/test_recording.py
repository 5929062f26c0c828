"""A runner that cannot record says so first and last, and the script runs anyway.

Read-only and full stores are real tmpfs mounts (root and mount rights; skipped otherwise).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from runar.runner.recording import RecordingHealth, cannot_write
from runar.store import Store

from .helpers import run_runar, write_script

pytestmark = pytest.mark.timeout(120)

SCRIPT = "import sys\nprint('training', flush=True)\nsys.exit(4)\n"


def read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def full(point: Path) -> None:
    with open(point / "filler", "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.mark.parametrize(
    ("make", "reason"),
    [(read_only, "Read-only file system"), (full, "No space left on device")],
    ids=["read-only", "full"],
)
@pytest.mark.parametrize("existing", [True, False], ids=["existing-store", "new-store"])
def test_a_store_that_cannot_be_written_costs_the_record_not_the_run(
    mount_tmpfs: Callable[[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], None],
    reason: str,
    existing: bool,
) -> None:
    point = mount_tmpfs("1m")
    root = point / ".runar"
    if existing:
        Store(root).create()  # a store that was fine yesterday
    make(point)
    monkeypatch.setenv("RUNAR_DIR", str(root))
    write_script(tmp_path, SCRIPT)
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 4  # the script's own code
    assert done.stdout == "training\n"
    lines = done.stderr.splitlines()
    assert lines[0] == (f"runar: cannot record this run: {reason} ({root}); the script runs anyway")
    assert f"✗ Not recorded: {reason} ({root})" in lines
    assert not any("recording stopped" in line for line in lines)  # said once, not twice


def test_a_disk_that_fills_up_during_the_run_is_reported_when_it_happens_and_at_the_end(
    mount_tmpfs: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = mount_tmpfs("2m") / ".runar"
    monkeypatch.setenv("RUNAR_DIR", str(root))
    write_script(
        tmp_path,
        """
        import sys
        for i in range(40_000):  # ~4 MB of output into a 2 MiB store
            print(f"step {i} loss={1 / (i + 1):.6f} " + "x" * 80)
        print("trained", file=sys.stderr)
        """,
    )
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.endswith("x\n") and done.stdout.count("\n") == 40_000
    lines = done.stderr.splitlines()
    assert not lines[0].startswith("runar: cannot record")  # it could, at first
    stopped = [line for line in lines if line.startswith("runar: recording stopped:")]
    assert stopped == [
        f"runar: recording stopped: No space left on device ({root}); the script goes on"
    ]
    assert any(
        line.startswith("⚠ Recorded only in part: recording stopped at ")
        and line.endswith(": No space left on device")
        for line in lines
    )


def test_a_healthy_store_says_nothing_about_recording(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, SCRIPT)
    done = run_runar(["script.py"], tmp_path)
    assert "record" not in done.stderr.lower()
    assert cannot_write(store.runs_dir) is None


def test_a_folder_that_does_not_exist_yet_is_judged_by_its_parent(tmp_path: Path) -> None:
    assert cannot_write(tmp_path / "a" / "b" / ".runar" / "runs") is None


def test_trouble_reported_by_the_writer_is_kept_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    health = RecordingHealth(Store(tmp_path / ".runar"))
    health.on_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    health.on_error(OSError(errno.EIO, os.strerror(errno.EIO)))
    assert capsys.readouterr().err.count("recording stopped") == 1
    (line,) = health.footer_lines()
    assert line.endswith(": No space left on device")
