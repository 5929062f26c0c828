"""A failed run says why, in its record and in the footer: real scripts under the real runar."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from runar.store import Store

from .helpers import finished, run_runar, write_script

pytestmark = pytest.mark.timeout(60)

SHAPES = """
def forward(x):
    raise ValueError(f"bad shape: expected (64, 784), got {x}")

print("Epoch 1: loss=0.52")
forward((64, 28, 28))
"""


def test_a_python_failure_records_the_exception_and_shows_it(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, SHAPES)
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 1
    end = finished(store)
    assert end.status == "failed"
    assert end.error == "ValueError: bad shape: expected (64, 784), got (64, 28, 28)"
    assert end.error_type == "ValueError"
    assert end.traceback is not None
    assert end.traceback.startswith("Traceback (most recent call last):")
    assert 'in forward\n    raise ValueError(f"bad shape' in end.traceback
    lines = done.stderr.splitlines()
    failed_at = next(i for i, line in enumerate(lines) if line.startswith("✗ Failed (exit 1)"))
    assert lines[failed_at + 1] == f"└─ {end.error}"


def test_a_usage_error_is_its_own_reason(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import argparse
        parser = argparse.ArgumentParser(prog="train.py")
        parser.add_argument("--epochs", type=int)
        parser.parse_args()
        """,
    )
    done = run_runar(["script.py", "--batch", "12"], tmp_path)
    assert done.returncode == 2
    end = finished(store)
    assert (end.error, end.error_type, end.traceback) == (
        "train.py: error: unrecognized arguments: --batch 12",
        None,
        None,
    )


def test_a_program_that_is_not_python_gives_its_last_stderr_line(
    store: Store, tmp_path: Path
) -> None:
    script = "echo 'copying weights'; echo \"cp: cannot stat 'w.pt': No such file\" >&2; exit 1"
    done = run_runar(["--", "sh", "-c", script], tmp_path)
    assert done.returncode == 1
    end = finished(store)
    assert (end.error, end.error_type) == ("cp: cannot stat 'w.pt': No such file", None)


def test_sys_exit_with_a_message_is_the_reason(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import sys; sys.exit('config.yaml: lr must be positive')")
    run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert (end.exit_code, end.error) == (1, "config.yaml: lr must be positive")


def test_a_tqdm_bar_does_not_hide_the_exception(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        r"""
        import sys
        for i in range(1, 4):
            sys.stderr.write(f"\r\x1b[32m{i * 33:3d}%|{'█' * i:<3}| {i}/3\x1b[0m")
            sys.stderr.flush()
        open("data/train/000123.png")
        """,
    )
    run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert (
        end.error
        == "FileNotFoundError: [Errno 2] No such file or directory: 'data/train/000123.png'"
    )
    assert end.error_type == "FileNotFoundError"


def test_a_chained_exception_records_the_last_one(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        cfg = {}
        try:
            lr = cfg["lr"]
        except KeyError:
            raise RuntimeError("no learning rate in the config")
        """,
    )
    run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert (end.error_type, end.error) == (
        "RuntimeError",
        "RuntimeError: no learning rate in the config",
    )
    assert end.traceback is not None and "KeyError" not in end.traceback


def test_a_success_and_a_forwarded_kill_carry_no_error(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import sys; print('warning: slow disk', file=sys.stderr)")
    run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert (end.status, end.error, end.traceback) == ("completed", None, None)


def test_a_killed_child_keeps_its_last_line_out_of_the_error(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        "import os, signal, sys\nprint('step 3', file=sys.stderr, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)",
    )
    run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert (end.status, end.signal, end.error) == ("killed", signal.SIGKILL, None)


def test_a_keyboard_interrupt_says_where_it_stopped(store: Store, tmp_path: Path) -> None:
    # what Ctrl-C in a terminal does: the signal reaches the script, not runar
    write_script(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n")
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 128 + signal.SIGINT
    end = finished(store)
    assert (end.status, end.error, end.error_type) == (
        "killed",
        "KeyboardInterrupt",
        "KeyboardInterrupt",
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX")
def test_a_long_reason_is_cut_in_the_footer_only(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "raise MemoryError('x' * 1000)")
    done = run_runar(["script.py"], tmp_path)
    end = finished(store)
    assert len(end.error or "") == 500 and (end.error or "").endswith("x…")  # the record's cut
    shown = next(line for line in done.stderr.splitlines() if line.startswith("└─ "))
    assert len(shown) == len("└─ ") + 200 and shown.endswith("…")
