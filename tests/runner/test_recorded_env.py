"""`runar rerun --env recorded`: a real virtualenv of the recorded pins, cached, with real uv/pip.

The original runs are recorded the way the runner records them (git capture, code snapshot,
RunStarted through the journal), with a small package list: the list this test venv would
give names torch and every other dependency of the suite, gigabytes to rebuild.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from gitrepo import git

from runar.events import OutputCaptured, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.runner import code_snapshot, provenance
from runar.runner.git_state import capture_git
from runar.runner.recorded_env import (
    MARKER_NAME,
    EnvUnavailable,
    ensure_env,
    env_key,
    find_interpreter,
    plan_env,
)
from runar.store import Store
from tests.cli.test_reproduce import repo_state
from tests.runner.helpers import events_of, of_type, run_runar, write_script

OLD_SIX = "1.16.0"  # the current venv has a newer six: the rerun must see this one
PYTHON = provenance.python_version()
SCRIPT = """\
import hashlib, pathlib, sys
import six
print("six", six.__version__)
print("python", sys.executable)
print("source", hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest())
"""


def record(
    store: Store,
    cwd: Path,
    argv: list[str],
    packages: dict[str, str],
    python: str = PYTHON,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """A run of ``argv`` in ``cwd``, recorded as the runner does, with these packages."""
    run_id = new_run_id()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        captured = capture_git(cwd, run_id)
    finally:
        os.chdir(here)
    command = command or [sys.executable, *argv]
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(
            RunStarted(
                run_id=run_id,
                name="orig",
                source="runner",
                argv=argv,
                command=command,
                cwd=str(cwd),
                python=python,
                git=captured.state if captured is not None else None,
                env=env or {},
                packages=packages,
            )
        )
        w.flush()
        code_snapshot.keep(store.code_dir(run_id), captured, command)
        w.append(RunFinished(status="completed", exit_code=0))
    return run_id


def rerun_of(store: Store, original: str) -> list[str]:
    found = []
    for run_id in store.run_ids():
        (started,) = of_type(events_of(store, run_id), RunStarted)
        if started.rerun_of == original:
            found.append(run_id)
    return found


def stdout_of(store: Store, run_id: str) -> str:
    chunks = of_type(events_of(store, run_id), OutputCaptured)
    return "".join(c.content() for c in chunks if c.stream == "stdout")


def printed(text: str, label: str) -> str:
    return next(line.split(" ", 1)[1] for line in text.splitlines() if line.startswith(label))


def skip_when_offline(done: object) -> None:
    stderr = getattr(done, "stderr", "")
    if f"six=={OLD_SIX}" in stderr and "cannot be installed" in stderr:
        pytest.skip(f"the package index is unreachable: six=={OLD_SIX} cannot be fetched")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_script(root, SCRIPT, "train.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_the_rerun_sees_the_recorded_version_and_the_second_reuses_the_env(store, repo):
    assert version("six") != OLD_SIX
    original = record(store, repo, ["train.py"], {"six": OLD_SIX})
    source = (repo / "train.py").read_bytes()
    (repo / "train.py").write_text("print('newer code')\n")
    git(repo, "commit", "-q", "-am", "later")
    before = repo_state(repo)
    first = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=120)
    skip_when_offline(first)
    assert first.returncode == 0, first.stderr
    assert repo_state(repo) == before  # the env and the checkout live in the store's cache
    assert "runar: building a Python" in first.stderr
    assert printed(first.stdout, "six") == OLD_SIX
    (new,) = rerun_of(store, original)
    (started,) = of_type(events_of(store, new), RunStarted)
    assert started.packages["six"] == OLD_SIX
    assert started.python.startswith(PYTHON.rsplit(".", 1)[0])
    env = store.root / "cache" / "envs" / env_key(PYTHON.rsplit(".", 1)[0], {"six": OLD_SIX})
    assert printed(first.stdout, "python") == str(env / "bin" / "python")
    import hashlib

    assert printed(first.stdout, "source") == hashlib.sha256(source).hexdigest()
    marker = (env / MARKER_NAME).stat().st_mtime_ns
    second = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "building" not in second.stderr
    assert f"runar: reusing the recorded environment {env}" in second.stderr
    assert printed(second.stdout, "six") == OLD_SIX
    assert (env / MARKER_NAME).stat().st_mtime_ns == marker
    assert "reproducibility of" in second.stderr


def test_a_module_and_a_shell_command_run_in_the_recorded_env(store, repo):
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    write_script(repo / "pkg", SCRIPT, "train.py")
    write_script(repo, "python -c \"import six; print('six', six.__version__)\"\n", "run.sh")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "module and script")
    record(
        store, repo, ["pkg.train"], {"six": OLD_SIX}, command=[sys.executable, "-m", "pkg.train"]
    )
    module = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=120)
    skip_when_offline(module)
    assert module.returncode == 0, module.stderr
    assert printed(module.stdout, "six") == OLD_SIX
    record(store, repo, ["bash", "run.sh"], {"six": OLD_SIX}, command=["bash", "run.sh"])
    ids = [i for i in store.run_ids() if not rerun_of(store, i)]
    shell = run_runar(["rerun", ids[-1], "--env", "recorded"], cwd=repo, timeout=60)
    assert shell.returncode == 0, shell.stderr
    assert printed(shell.stdout, "six") == OLD_SIX  # the env's bin/ is first on PATH


def test_a_package_the_index_lacks_is_named_and_stops_the_rerun(store, repo):
    pins = {"six": OLD_SIX, "runar-test-no-such-dist": "0.0.1"}
    original = record(store, repo, ["train.py"], pins)
    done = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=120)
    skip_when_offline(done)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: run {original[:8]}'s packages runar-test-no-such-dist==0.0.1 cannot be "
        "installed from the package index (local builds, editable installs or another "
        "platform's wheels); rerun with --allow-missing to go on without them, or with "
        "--env current"
    )
    assert rerun_of(store, original) == []
    envs = store.root / "cache" / "envs"
    assert not any(p.is_dir() for p in envs.iterdir())  # a failed build leaves no env
    allowed = run_runar(
        ["rerun", "orig", "--env", "recorded", "--allow-missing"], cwd=repo, timeout=120
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "going on without runar-test-no-such-dist" in allowed.stderr
    assert printed(allowed.stdout, "six") == OLD_SIX


def test_a_missing_interpreter_version_is_one_clear_line(store, repo):
    original = record(store, repo, ["train.py"], {"six": OLD_SIX}, python="3.4.10")
    done = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: run {original[:8]} ran on Python 3.4.10 and no Python 3.4 is on this "
        "machine: install one (e.g. 'uv python install 3.4') and retry, or rerun with "
        "--env current"
    ]
    with pytest.raises(EnvUnavailable, match="recorded no Python version"):
        find_interpreter(original, "")


def test_the_project_and_runar_come_from_the_checkout_and_this_install(store, repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "My_Proj"\nversion = "0.1"\n')
    (repo / "src" / "my_proj").mkdir(parents=True)
    (repo / "src" / "my_proj" / "__init__.py").write_text("VALUE = 'original'\n")
    write_script(
        repo,
        "import my_proj, runar, six\nprint('value', my_proj.VALUE)\nrunar.log({'seen': 1.0})\n",
        "train.py",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a project")
    mine = provenance.installed_packages()
    pins = {"six": OLD_SIX, "my-proj": "0.1", "runar": mine["runar"]}
    pins |= {name: mine[name] for name in ("msgspec", "zstandard")}
    original = record(store, repo, ["train.py"], pins)
    (repo / "src" / "my_proj" / "__init__.py").write_text("VALUE = 'later'\n")
    done = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=180)
    skip_when_offline(done)
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "value") == "original"
    (new,) = rerun_of(store, original)
    with_sdk = [e for e in events_of(store, new) if type(e).__name__ == "MetricsLogged"]
    assert with_sdk and with_sdk[0].values == {"seen": 1.0}  # type: ignore[attr-defined]
    (started,) = of_type(events_of(store, new), RunStarted)
    assert started.packages["my-proj"] == "0.1" and started.packages["runar"] == mine["runar"]


def test_pip_builds_the_same_env_when_uv_is_not_the_installer(store, repo):
    """What happens for a torch pin (pip finds the local wheel) or where uv is absent."""
    original = record(store, repo, ["train.py"], {"six": OLD_SIX})
    (started,) = of_type(events_of(store, original), RunStarted)
    plan = plan_env(store, started, original, repo, repo)
    plan = dataclasses.replace(plan, installer="pip")
    lines: list[str] = []
    try:
        built = ensure_env(plan, started, allow_missing=False, say=lines.append)
    except EnvUnavailable as exc:
        if "cannot be installed" in str(exc):
            pytest.skip(f"the package index is unreachable: {exc}")
        raise
    assert "using pip" in lines[0]
    assert built.packages["six"] == OLD_SIX and not built.reused
    assert (plan.folder / "bin" / "pip").exists()


def test_torch_pins_choose_pip(store, repo):
    started = RunStarted(run_id="x", python=PYTHON, packages={"torch": "2.13.0+cpu", "six": "1"})
    assert plan_env(store, started, "x", repo, repo).installer == "pip"
    started = RunStarted(run_id="x", python=PYTHON, packages={"six": "1"})
    assert plan_env(store, started, "x", repo, repo).installer == "uv"


def test_secrets_are_named_never_restored(store, repo):
    record(store, repo, ["train.py"], {"six": OLD_SIX}, env={"HF_TOKEN": "***", "LANG": "C"})
    done = run_runar(["rerun", "orig", "--dry-run", "--env", "recorded"], cwd=repo)
    assert done.returncode == 0, done.stderr
    secrets = printed(done.stdout, "secrets:")
    assert "NOT set: HF_TOKEN" in secrets
    given = run_runar(["rerun", "orig", "--dry-run"], cwd=repo, HF_TOKEN="hf_x")
    assert "HF_TOKEN" in printed(given.stdout, "secrets:").split("NOT set")[0]
    assert printed(done.stdout, "env:").strip().startswith(f"Python {PYTHON.rsplit('.', 1)[0]} (")


def test_another_recorded_python_is_found_and_used(store, repo):
    other = "3.12" if not PYTHON.startswith("3.12.") else "3.11"
    try:
        find_interpreter("x", f"{other}.1")
    except EnvUnavailable:
        pytest.skip(f"no Python {other} on this machine (PATH, pyenv, uv)")
    record(store, repo, ["train.py"], {"six": OLD_SIX}, python=f"{other}.1")
    done = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo, timeout=120)
    skip_when_offline(done)
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "six") == OLD_SIX
    (new,) = [i for i in store.run_ids() if of_type(events_of(store, i), RunStarted)[0].rerun_of]
    (started,) = of_type(events_of(store, new), RunStarted)
    assert started.python.startswith(f"{other}.")
    assert f"Python: {started.python}" in done.stderr  # the header names the env's python


def test_the_missing_pin_is_read_from_uv_and_pip_errors():
    from runar.runner.env_install import mentioned

    pins = ["pip", "six", "foo-bar"]
    uv = (
        "error: No solution found when resolving dependencies\n  cause: Because foo-bar was "
        "not found in the package registry and you require foo-bar==1.0, we can conclude…"
    )
    pip = (
        "ERROR: Could not find a version that satisfies the requirement Foo_Bar==1.0 (from "
        "versions: none)\nERROR: No matching distribution found for Foo_Bar==1.0\nrun pip"
    )
    assert mentioned(uv, pins) == "foo-bar"
    assert mentioned(pip, pins) == "foo-bar"
    assert mentioned("Because there is no version of six==0.1 and you…", pins) == "six"
    assert mentioned("something else entirely", pins) is None


def test_the_cache_key_is_the_python_and_the_sorted_pins():
    assert env_key("3.11", {"a": "1", "B_c": "2"}) == env_key("3.11", {"b-c": "2", "a": "1"})
    assert env_key("3.11", {"a": "1"}) != env_key("3.12", {"a": "1"})
    assert env_key("3.11", {"a": "1"}) != env_key("3.11", {"a": "2"})


def test_a_run_without_recorded_packages_has_no_env_to_rebuild(store, repo):
    original = record(store, repo, ["train.py"], {})
    done = run_runar(["rerun", "orig", "--env", "recorded"], cwd=repo)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: run {original[:8]} recorded no packages (an SDK-only or older run), so there "
        "is no environment to rebuild; rerun it with --env current"
    ]


def test_a_damaged_cached_env_is_built_again(store, repo):
    original = record(store, repo, ["train.py"], {"six": OLD_SIX})
    (started,) = of_type(events_of(store, original), RunStarted)
    plan = plan_env(store, started, original, repo, repo)
    try:
        ensure_env(plan, started, allow_missing=False, say=lambda line: None)
    except EnvUnavailable as exc:
        pytest.skip(f"the package index is unreachable: {exc}")
    plan.python_path.unlink()
    again = ensure_env(plan, started, allow_missing=False, say=lambda line: None)
    assert not again.reused and plan.python_path.exists()
    assert ensure_env(plan, started, allow_missing=False, say=lambda line: None).reused


def test_a_rerun_in_the_current_env_names_the_changed_package(store, repo):
    record(store, repo, ["train.py"], {"six": OLD_SIX})
    done = run_runar(["rerun", "orig"], cwd=repo)  # --env current: this venv's newer six
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "six") == version("six")
    shown = run_runar(["show", "orig"], cwd=repo).stdout
    section = shown[shown.index("Reproducibility") :]
    assert f"six {OLD_SIX} → {version('six')}" in section
    assert "/100" in section and "100/100" not in section
