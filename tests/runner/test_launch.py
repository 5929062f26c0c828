"""Signals and terminals: how the child ends, what runar forwards, what a pty delivers."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runar.store import Store

from .helpers import RUNAR, finished, output_text, run_runar, runar_env, started, write_script

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
    # exactly as written: "\n" is not turned into "\r\n"; stderr has a pty of its own
    assert output_text(store) == "tty\n\x1b[31mred\x1b[0m\r50%\r100%\n"
    assert output_text(store, "stderr") == "warning\n"
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


def run_in_terminal(
    tmp_path: Path, args: list[str], stderr_to_file: bool = False
) -> tuple[int, bytes]:
    """runar with a pty as its stdout (and stderr, unless it goes to a file)."""
    master, slave = pty.openpty()
    err = os.open(tmp_path / "runar.err", os.O_WRONLY | os.O_CREAT) if stderr_to_file else slave
    proc = subprocess.Popen(
        [*RUNAR, *args],
        cwd=tmp_path,
        env=runar_env(),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=err,
    )
    os.close(slave)
    if err != slave:
        os.close(err)
    try:
        shown = read_terminal(master, proc)
        return proc.wait(timeout=30), shown
    finally:
        os.close(master)


BOTH_STREAMS = """
import sys
print("out", sys.stdout.isatty())
print("err", sys.stderr.isatty(), file=sys.stderr)
"""


def test_in_a_terminal_stderr_is_a_terminal_of_its_own(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, BOTH_STREAMS)
    code, shown = run_in_terminal(tmp_path, ["script.py"])
    assert code == 0
    assert output_text(store, "stdout") == "out True\n"
    assert output_text(store, "stderr") == "err True\n"  # so tqdm draws its bar
    assert b"out True\r\n" in shown and b"err True\r\n" in shown  # our terminal adds the \r
    logs = subprocess.run(
        [*RUNAR, "logs", started(store).run_id, "--stream", "stderr"],
        cwd=tmp_path,
        env=runar_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert logs.stdout == "err True\n"


def test_stderr_sent_to_a_file_stays_a_pipe_for_the_child(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, BOTH_STREAMS)
    code, _ = run_in_terminal(tmp_path, ["script.py"], stderr_to_file=True)
    assert code == 0
    assert output_text(store, "stdout") == "out True\n"
    assert output_text(store, "stderr") == "err False\n"  # no bars drawn into a log file
    assert "err False" in (tmp_path / "runar.err").read_text()


# a training script a shell starts in the background and leaves running
BACKGROUND = """
import os, sys, time
while not os.path.exists("go"):
    time.sleep(0.05)
time.sleep(1)  # longer than runar's drain grace: only waiting for the group records this
print("late stdout", flush=True)
print("late stderr", file=sys.stderr, flush=True)
open("done", "w").close()
"""


def test_a_backgrounded_child_is_waited_for_and_recorded(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, BACKGROUND, name="train.py")
    (tmp_path / "go").touch()
    done = run_runar(["--", "bash", "-c", f"{sys.executable} train.py & exit 3"], tmp_path)
    assert done.returncode == 3  # the direct child's code, not the background job's
    assert (tmp_path / "done").exists()
    assert output_text(store, "stdout") == "late stdout\n"
    assert output_text(store, "stderr") == "late stderr\n"
    assert finished(store).exit_code == 3


def test_without_waiting_the_run_ends_with_the_direct_child(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, BACKGROUND, name="train.py")
    done = run_runar(
        ["--", "bash", "-c", f"{sys.executable} train.py &"], tmp_path, RUNAR_WAIT_GROUP="0"
    )
    (tmp_path / "go").touch()  # only now may the background job finish
    assert done.returncode == 0
    assert "late" not in output_text(store, "stdout")
    assert finished(store).status == "completed"


def test_ctrl_c_stops_what_the_script_left_running(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import time\nprint('ready', flush=True)\ntime.sleep(60)", "bg.py")
    proc = subprocess.Popen(
        [*RUNAR, "--", "bash", "-c", f"{sys.executable} bg.py &"],
        cwd=tmp_path,
        env=runar_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # the notice comes once bash is gone and bg.py is not
        if b"waiting for the processes it left running" in line:
            break
    # bash started bg.py with SIGINT ignored, as shells do for `&`: runar must use SIGTERM
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert finished(store).status == "completed"
    assert output_text(store) == "ready\n"
