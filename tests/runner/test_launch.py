"""Signals and terminals: how the child ends, what runar forwards, what a pty delivers."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from runar.store import Store

from .helpers import RUNAR, finished, output_text, run_runar, runar_env, write_script

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals and ptys"),
]

WAIT_FOREVER = """
import os, sys, time
{setup}
print("ready", flush=True)
time.sleep(60)
"""


def start_runar(tmp_path: Path, setup: str = "") -> subprocess.Popen[bytes]:
    """runar running a script that says 'ready' and then waits; returns once it is ready."""
    write_script(tmp_path, WAIT_FOREVER.format(setup=setup))
    proc = subprocess.Popen(
        [*RUNAR, "script.py"],
        cwd=tmp_path,
        env=runar_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    return proc


def test_child_killed_by_sigkill_is_recorded_as_killed(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 128 + signal.SIGKILL
    end = finished(store)
    assert (end.status, end.signal, end.exit_code) == ("killed", signal.SIGKILL, None)
    assert "☠ Killed by SIGKILL" in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_runar_is_forwarded_to_the_child(
    store: Store, tmp_path: Path, sig: signal.Signals
) -> None:
    proc = start_runar(tmp_path)
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 128 + sig  # Python dies of SIGINT after KeyboardInterrupt
    end = finished(store)
    assert (end.status, end.signal) == ("killed", sig)
    assert output_text(store) == "ready\n"


def test_forwarded_signal_reaches_the_childs_own_children(store: Store, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    setup = (
        "import subprocess\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(g.pid))\n"
    )
    proc = start_runar(tmp_path, setup)
    grandchild = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too: it only waits for its (killed) parent's reaper
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def test_child_that_handles_sigterm_and_exits_cleanly_is_completed(
    store: Store, tmp_path: Path
) -> None:
    setup = "import signal\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))"
    proc = start_runar(tmp_path, setup)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert finished(store).status == "completed"


def test_child_that_exits_with_an_error_after_a_signal_is_killed(
    store: Store, tmp_path: Path
) -> None:
    setup = "import signal\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(5))"
    proc = start_runar(tmp_path, setup)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 5
    end = finished(store)
    assert (end.status, end.exit_code, end.signal) == ("killed", 5, signal.SIGTERM)


def read_terminal(master: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> bytes:
    """Everything written to the terminal until runar exits and the pty runs dry."""
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    return bytes(seen)


def test_with_a_terminal_the_child_writes_into_a_pty(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        r"""
        import sys
        print("tty" if sys.stdout.isatty() else "pipe")
        sys.stdout.write("\x1b[31mred\x1b[0m\r50%\r100%\n")
        sys.stdout.flush()
        print("warning", file=sys.stderr)
        """,
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*RUNAR, "script.py"],
        cwd=tmp_path,
        env=runar_env(),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    try:
        shown = read_terminal(master, proc)
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(master)
    recorded = output_text(store)
    # merged into one stream, exactly as written: "\n" is not turned into "\r\n"
    assert recorded == "tty\n\x1b[31mred\x1b[0m\r50%\r100%\nwarning\n"
    assert output_text(store, "stderr") == ""
    assert b"\x1b[31mred\x1b[0m\r50%\r100%" in shown
    assert "✓ Completed".encode() in shown


def test_without_a_terminal_the_child_writes_into_pipes(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import sys; print('tty' if sys.stdout.isatty() else 'pipe')")
    done = run_runar(["script.py"], tmp_path)
    assert done.stdout == "pipe\n"


def test_output_of_a_closed_reader_is_still_recorded(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "for i in range(20000): print(i)")
    proc = subprocess.Popen(
        [*RUNAR, "script.py"],
        cwd=tmp_path,
        env=runar_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.read(10)
    proc.stdout.close()  # like `runar script.py | head -1`
    proc.wait(timeout=30)
    assert output_text(store).endswith("19999\n")
