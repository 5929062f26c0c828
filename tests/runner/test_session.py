"""`runar SCRIPT` end to end, in real subprocesses with pipes: exit codes, output, provenance."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from runar.events import OutputCaptured, RunStarted, SystemSampled, TagsChanged
from runar.store import Store

from .helpers import (
    events_of,
    finished,
    of_type,
    output_text,
    run_runar,
    started,
    write_script,
)

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ("print('ok')", 0, "completed"),
        ("raise RuntimeError('boom')", 1, "failed"),
        ("import sys; sys.exit(3)", 3, "failed"),
    ],
)
def test_exit_code_is_passed_on_and_recorded(
    store: Store, tmp_path: Path, body: str, code: int, status: str
) -> None:
    write_script(tmp_path, body)
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == code
    end = finished(store)
    assert (end.status, end.exit_code, end.signal) == (status, code, None)


def test_stdout_and_stderr_are_recorded_apart_and_echoed(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import sys
        print("to stdout")
        print("to stderr", file=sys.stderr)
        """,
    )
    done = run_runar(["script.py"], tmp_path)
    assert done.stdout == "to stdout\n"  # the header and footer go to stderr only
    assert "to stderr\n" in done.stderr
    assert output_text(store, "stdout") == "to stdout\n"
    assert output_text(store, "stderr") == "to stderr\n"


def test_progress_carriage_returns_and_colours_survive(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        r"""
        import sys
        for i in range(3):
            sys.stdout.write(f"\r\x1b[32m{i * 50}%\x1b[0m")
        sys.stdout.write("\nloss=0.5\n")
        """,
    )
    done = run_runar(["script.py"], tmp_path)
    expected = "\r\x1b[32m0%\x1b[0m\r\x1b[32m50%\x1b[0m\r\x1b[32m100%\x1b[0m\nloss=0.5\n"
    assert done.stdout == expected
    assert output_text(store) == expected


def test_undecodable_output_is_kept_as_bytes(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import sys; sys.stdout.buffer.write(b'\\xff\\xfe raw\\n')")
    run_runar(["script.py"], tmp_path)
    (chunk,) = of_type(events_of(store), OutputCaptured)
    assert chunk.text is None and chunk.data == b"\xff\xfe raw\n"


def test_provenance_is_recorded_with_secrets_redacted(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "print('hi')")
    run_runar(
        ["script.py", "--lr", "0.1"],
        tmp_path,
        HF_TOKEN="hf_supersecret",
        MY_PASSWORD="pw",
        PLAIN_SETTING="visible",
    )
    start = started(store)
    assert start.source == "runner"
    assert start.argv == ["script.py", "--lr", "0.1"]
    assert start.command == [sys.executable, "script.py", "--lr", "0.1"]
    assert Path(start.cwd) == tmp_path
    assert start.python and start.platform and start.host
    assert start.git is None  # tmp_path is outside any repository
    assert start.env["HF_TOKEN"] == "***" and start.env["MY_PASSWORD"] == "***"
    assert start.env["PLAIN_SETTING"] == "visible"
    assert "msgspec" in start.packages
    assert start.parse_output is True
    raw = b"".join(p.read_bytes() for p in store.run_dir(start.run_id).glob("*.jsonl*"))
    assert b"hf_supersecret" not in raw


def test_child_gets_the_run_id_store_and_unbuffered_output(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import os
        print(os.environ["RUNAR_RUN_ID"], os.environ["RUNAR_DIR"], os.environ["PYTHONUNBUFFERED"])
        """,
    )
    done = run_runar(["script.py"], tmp_path)
    run_id, root, unbuffered = done.stdout.split()
    assert run_id == started(store).run_id
    assert Path(root) == store.root
    assert unbuffered == "1"


def test_artifacts_written_by_the_child_appear_in_the_footer(store: Store, tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import os
        from pathlib import Path
        from runar.events import ArtifactAttached
        from runar.journal import JournalWriter
        run_dir = Path(os.environ["RUNAR_DIR"]) / "runs" / os.environ["RUNAR_RUN_ID"]
        with JournalWriter(run_dir, os.environ["RUNAR_RUN_ID"], role="sdk") as w:
            w.append(ArtifactAttached(name="model.pt", kind="file", size=420_000_000,
                                      sha256="0" * 64, path="model.pt"))
        """,
    )
    done = run_runar(["script.py"], tmp_path)
    assert "✓ Artifacts: model.pt (420 MB)" in done.stderr


def test_header_and_footer_go_to_stderr(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "pass")
    done = run_runar(["-n", "baseline", "script.py", "--epochs", "10"], tmp_path)
    lines = done.stderr.splitlines()
    short_id = started(store).run_id[:8]
    assert lines[0] == f"▶ Experiment: baseline ({short_id})"
    assert "├─ Args: --epochs 10" in lines
    assert lines[-1].startswith("✓ Completed in ")
    assert done.stdout == ""


def test_system_usage_is_sampled_while_the_script_runs(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import time; time.sleep(1.0)")
    run_runar(["script.py"], tmp_path, RUNAR_SAMPLE_INTERVAL="0.1")
    samples = of_type(events_of(store), SystemSampled)
    assert samples and all(s.rss_bytes > 0 for s in samples)
    assert all(s.gpus == [] for s in samples)  # no GPU here, and nothing breaks


def test_tags_and_no_parse_are_recorded(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "pass")
    run_runar(["-t", "a", "--tag", "b", "--no-parse", "script.py"], tmp_path)
    (tags,) = of_type(events_of(store), TagsChanged)
    assert tags.added == ["a", "b"]
    assert started(store).parse_output is False


def test_runner_does_not_write_metrics_from_output(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "print('Epoch 1: loss=0.5')")
    run_runar(["script.py"], tmp_path)
    kinds = {type(e).__name__ for e in events_of(store)}
    assert "MetricsLogged" not in kinds  # parsing is the projector's job


def test_missing_script_is_one_line_exit_2_and_no_run(store: Store, tmp_path: Path) -> None:
    done = run_runar(["nope.py", "--x"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "nope.py" in done.stderr and "Traceback" not in done.stderr
    assert store.run_ids() == []


def test_unknown_command_after_double_dash_creates_no_run(store: Store, tmp_path: Path) -> None:
    done = run_runar(["--", "no-such-program-xyz", "a"], tmp_path)
    assert done.returncode == 2
    assert "no-such-program-xyz" in done.stderr
    assert store.run_ids() == []


def test_module_form_runs_a_module(store: Store, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write_script(pkg, "import sys; print('module', sys.argv[1:])", name="train.py")
    done = run_runar(["-n", "mod", "-m", "pkg.train", "--epochs", "2"], tmp_path)
    assert done.stdout == "module ['--epochs', '2']\n"
    start = started(store)
    assert start.command == [sys.executable, "-m", "pkg.train", "--epochs", "2"]
    assert start.name == "mod"


def test_double_dash_runs_any_command_verbatim(store: Store, tmp_path: Path) -> None:
    done = run_runar(["-n", "echo", "--", "echo", "-n", "hello"], tmp_path)
    assert done.stdout == "hello"  # "-n" went to echo, not to runar
    start = started(store)
    assert start.command == ["echo", "-n", "hello"]
    assert start.name == "echo"


def test_everything_after_the_script_belongs_to_it(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "import sys; print(sys.argv[1:])")
    done = run_runar(["-n", "mine", "script.py", "-n", "12", "-t", "0.7", "--", "x"], tmp_path)
    assert done.stdout == "['-n', '12', '-t', '0.7', '--', 'x']\n"
    assert started(store).name == "mine"


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX only")
def test_executable_non_python_script_runs_directly(store: Store, tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text('#!/bin/sh\necho shell "$1"\n')
    script.chmod(0o755)
    done = run_runar(["job.sh", "arg"], tmp_path)
    assert done.stdout == "shell arg\n"
    assert started(store).command == ["./job.sh", "arg"]


def test_a_store_inside_the_repository_does_not_make_it_dirty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.delenv("RUNAR_DIR", raising=False)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path)
    write_script(tmp_path, "print(1)")
    subprocess.run(["git", "add", "script.py"], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "s"],
        cwd=tmp_path,
        check=True,
    )
    run_runar(["script.py"], tmp_path)
    run_runar(["script.py"], tmp_path)  # the first run's folder now exists in the tree
    store = Store(tmp_path / ".runar")
    states = [e.git for rid in store.run_ids() for e in of_type(events_of(store, rid), RunStarted)]
    assert [s is not None and s.dirty for s in states] == [False, False]


def test_output_written_before_the_log_opened_follows_run_started(
    store: Store, tmp_path: Path
) -> None:
    # the script starts before the journal loads: what it prints at once waits for RunStarted
    write_script(tmp_path, "import sys; print('first'); print('second', file=sys.stderr)")
    done = run_runar(["script.py"], tmp_path)
    assert done.returncode == 0 and done.stdout == "first\n"
    events = events_of(store)
    runner = started(store).writer
    own = [e for e in events if e.writer == runner]
    kinds = [type(e).__name__ for e in own if type(e).__name__ != "WriterOpened"]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert output_text(store) == "first\n" and output_text(store, "stderr") == "second\n"


def test_files_the_script_writes_stay_out_of_its_code_snapshot(
    store: Store, tmp_path: Path
) -> None:
    from gitrepo import git

    git(tmp_path, "init", "-q", "-b", "main")
    write_script(tmp_path, "open('written_by_the_run.py', 'w').write('X = 1\\n')")
    run_runar(["script.py"], tmp_path)
    state = started(store).git
    assert state is not None and state.snapshot is not None
    listed = git(tmp_path, "ls-tree", "-r", "--name-only", state.snapshot).split()
    assert listed == ["script.py"]
    assert finished(store).status == "completed"


def test_an_sdk_event_written_before_run_started_folds_into_the_runners_run(
    store: Store, tmp_path: Path
) -> None:
    # the script starts before RunStarted is written: its first log() may come first
    write_script(tmp_path, "import runar; runar.log({'loss': 0.5}, step=1)")
    run_runar(["-n", "early", "script.py"], tmp_path)
    from runar.views import open_views

    with open_views(store) as views:
        (summary,) = views.runs()
    assert summary.started is not None and summary.started.source == "runner"
    assert summary.display_name == "early" and summary.recorded_status == "completed"
    assert summary.metrics["loss"].last == 0.5
