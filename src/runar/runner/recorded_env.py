"""`runar rerun --env recorded`: a virtualenv rebuilt from the run's recorded packages.

The runner records ``RunStarted.python`` and ``RunStarted.packages`` (every distribution on
its interpreter's path, name → version). The rebuilt environment has:
    an interpreter of the recorded major.minor (this one, ``pythonX.Y`` on PATH, pyenv's
        versions, or uv's python discovery; never downloaded)
    every recorded pin installed with ``--no-deps``: the record is the whole environment,
        so no resolver second-guesses it
    runar itself from the current installation (a ``.pth`` line), not its recorded
        version: the rerun's SDK must write the log this runar reads
    the project under test (the checkout's ``pyproject.toml`` names a recorded pin, an
        editable install when recorded) from the checked-out code on ``PYTHONPATH``: the
        env is shared by every run with the same pins, the checkout is this run's
Pins the index cannot give (local builds, other platforms' wheels) are named and the
rerun stops, unless ``--allow-missing``. Environments are cached under
``.runar/cache/envs/<hash of python major.minor + sorted pins>/``; a marker file written
last means "complete", so an interrupted build is never reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from runar.events import RunStarted
from runar.ids import short
from runar.redact import REDACTED
from runar.runner import provenance
from runar.runner.env_install import (
    PROBE_TIMEOUT_S,
    EnvPlan,
    EnvUnavailable,
    Installer,
    VenvBuilder,
    last_line,
    normal_name,
    probe_version,
    site_packages,
    uv_path,
)
from runar.store import Store

ENVS_DIRNAME: Final = "envs"
MARKER_NAME: Final = "runar-env.json"
LINK_DIRNAME: Final = "runar-link"  # holds one symlink, `runar`, to the current runar package
PTH_NAME: Final = "runar-current.pth"
SELF: Final = "runar"
# uv does not read pip's find-links: for these it would fetch a multi-GB build from the
# index where pip takes the wheel this machine keeps locally
HEAVY_PINS: Final = frozenset({"torch", "torchvision", "torchaudio"})
# the only recorded variables a recorded environment sets again: they steer determinism
# and hold no secret (a redacted value is never restored)
DETERMINISM_VARS: Final = (
    "PYTHONHASHSEED",
    "CUBLAS_WORKSPACE_CONFIG",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


@dataclass(frozen=True)
class RecordedEnv:
    """A complete environment: run its python; the child gets ``variables``."""

    python: Path
    version: str  # the interpreter's full version, recorded by the rerun
    packages: dict[str, str]  # what the rerun records as its packages
    missing: list[str]
    variables: dict[str, str]
    import_paths: list[str]  # first on the child's PYTHONPATH: the checked-out project
    reused: bool
    seconds: float


def major_minor(version: str) -> str:
    parts = version.strip().split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(p.isdigit() for p in parts[:2]) else ""


def env_key(python: str, pins: Mapping[str, str]) -> str:
    """The cache folder's name: the interpreter's major.minor and the sorted pins."""
    text = "\n".join([python, *sorted(f"{normal_name(n)}=={v}" for n, v in pins.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _candidates(python: str) -> Iterator[str]:
    """Interpreters that may be ``python`` (major.minor), cheapest to find first."""
    yield from filter(None, [shutil.which(f"python{python}")])
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    yield from sorted(str(p) for p in pyenv.glob(f"{python}.*/bin/python{python}"))
    uv = uv_path()
    if uv is None:
        return
    try:
        done = subprocess.run(
            [uv, "python", "find", "--no-project", python],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
    except (OSError, subprocess.SubprocessError):
        return
    if done.returncode == 0 and done.stdout.strip():
        yield done.stdout.strip()


def find_interpreter(run_id: str, recorded: str) -> str:
    """An interpreter of the recorded major.minor; EnvUnavailable naming how to get one."""
    python = major_minor(recorded)
    if not python:
        raise EnvUnavailable(
            f"run {short(run_id)} recorded no Python version; rerun it with --env current"
        )
    if major_minor(provenance.python_version()) == python:
        return sys.executable  # this one: no probe
    for executable in _candidates(python):
        if major_minor(probe_version(executable) or "") == python:
            return executable
    raise EnvUnavailable(
        f"run {short(run_id)} ran on Python {recorded} and no Python {python} is on this "
        f"machine: install one (e.g. 'uv python install {python}') and retry, or rerun "
        "with --env current"
    )


_PROJECT_NAME = re.compile(r"^\[project\][^\[]*?^name\s*=\s*[\"']([^\"']+)", re.M | re.S)


def _project_name(folder: Path) -> str | None:
    """``[project] name`` of a pyproject.toml (a pattern: tomllib is 3.11+, runar runs on 3.10)."""
    try:
        text = (folder / "pyproject.toml").read_text()
    except (OSError, ValueError):
        return None
    found = _PROJECT_NAME.search(text)
    return normal_name(found.group(1)) if found else None


def _project(checkout: Path, cwd: Path, pins: Mapping[str, str]) -> tuple[str, str] | None:
    """(pin name, import folder) of the checked-out project when a recorded pin is it."""
    normal = {normal_name(n): n for n in pins}
    folder = cwd
    while True:
        name = _project_name(folder)
        if name is not None and name in normal:
            src = folder / "src"
            return normal[name], str(src if src.is_dir() else folder)
        if folder == checkout or checkout not in folder.parents:
            return None
        folder = folder.parent


def plan_env(store: Store, started: RunStarted, run_id: str, checkout: Path, cwd: Path) -> EnvPlan:
    """Interpreter, pins and cache folder for the run's recorded environment."""
    if not started.packages:
        raise EnvUnavailable(
            f"run {short(run_id)} recorded no packages (an SDK-only or older run), so there is "
            "no environment to rebuild; rerun it with --env current"
        )
    python = major_minor(started.python)
    interpreter = find_interpreter(run_id, started.python)
    pins = dict(started.packages)
    linked: dict[str, str] = {}
    for name in list(pins):
        if normal_name(name) == SELF:
            linked[name] = pins.pop(name)
    project = _project(checkout, cwd, pins)
    if project is not None:
        linked[project[0]] = pins.pop(project[0])
    uv = uv_path()
    heavy = sorted(n for n in pins if normal_name(n) in HEAVY_PINS)
    installer: Installer = "uv" if uv is not None and not heavy else "pip"
    folder = (store.root / "cache" / ENVS_DIRNAME / env_key(python, pins)).absolute()
    return EnvPlan(
        run_id,
        python,
        interpreter,
        pins,
        linked,
        project[1] if project else None,
        installer,
        folder,
    )


def _missing_error(plan: EnvPlan, missing: list[str]) -> EnvUnavailable:
    named = ", ".join(f"{n}=={plan.pins.get(n, '?')}" for n in missing)
    return EnvUnavailable(
        f"run {short(plan.run_id)}'s packages {named} cannot be installed from the package "
        "index (local builds, editable installs or another platform's wheels); rerun with "
        "--allow-missing to go on without them, or with --env current"
    )


def _link_runar(folder: Path, site: str) -> None:
    """The current runar, importable in the env through a folder that holds only it."""
    import runar

    target = Path(runar.__file__).resolve().parent
    link_dir = folder / LINK_DIRNAME
    link_dir.mkdir(exist_ok=True)
    link = link_dir / SELF
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    tmp = link_dir / f".{SELF}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, link)  # a runar that moved since the env was built is followed
    (Path(site) / PTH_NAME).write_text(f"{link_dir}\n")


def _build(plan: EnvPlan, allow_missing: bool) -> dict[str, object]:
    builder = VenvBuilder(plan)
    shutil.rmtree(plan.folder, ignore_errors=True)  # a half-built env: no marker, start over
    plan.folder.mkdir(parents=True)
    try:
        builder.create()
        missing = builder.unavailable()
        if missing and not allow_missing:
            raise _missing_error(plan, missing)
        pins = {n: v for n, v in plan.pins.items() if n not in missing}
        if pins:
            done = builder.install(pins, dry_run=False)
            if done.returncode != 0:
                raise EnvUnavailable(
                    f"{plan.installer} could not install run {short(plan.run_id)}'s packages: "
                    f"{last_line(done.stderr or done.stdout)}"
                )
        version = probe_version(str(plan.python_path)) or ""
        site = site_packages(plan.python_path)
    except BaseException:
        shutil.rmtree(plan.folder, ignore_errors=True)
        raise
    return {
        "python": plan.python,
        "version": version,
        "site_packages": site,
        "installer": plan.installer,
        "pins": plan.pins,
        "missing": missing,
        "created": time.time(),
    }


def _write_marker(folder: Path, marker: Mapping[str, object]) -> None:
    tmp = folder / f"{MARKER_NAME}.tmp"
    with open(tmp, "w") as out:
        json.dump(marker, out, indent=1)
        out.flush()
        os.fsync(out.fileno())  # before rename: a marker must never announce an empty env
    os.replace(tmp, folder / MARKER_NAME)


def read_marker(folder: Path) -> dict[str, object] | None:
    try:
        marker = json.loads((folder / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def ensure_env(
    plan: EnvPlan,
    started: RunStarted,
    allow_missing: bool,
    say: Callable[[str], None],
) -> RecordedEnv:
    """The plan's environment, built once (under a lock) and then reused as it is."""
    begun = time.monotonic()
    plan.folder.parent.mkdir(parents=True, exist_ok=True)
    lock_path = plan.folder.with_name(plan.folder.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second rerun waits for the first build
        marker = read_marker(plan.folder)
        if marker is not None and not plan.python_path.exists():
            marker = None  # the env was damaged since (its interpreter is gone): build again
        reused = marker is not None
        if marker is None:
            heavy = sorted(n for n in plan.pins if normal_name(n) in HEAVY_PINS)
            why = f" ({', '.join(heavy)} pinned: pip finds local wheels, uv would download)"
            say(
                f"runar: building a Python {plan.python} environment with {len(plan.pins)} "
                f"package(s) using {plan.installer}{why if heavy else ''} in {plan.folder}"
            )
            marker = _build(plan, allow_missing)
            if SELF in {normal_name(n) for n in plan.linked}:
                _link_runar(plan.folder, str(marker["site_packages"]))
            _write_marker(plan.folder, marker)  # last: only a complete env has one
        elif SELF in {normal_name(n) for n in plan.linked}:
            _link_runar(plan.folder, str(marker["site_packages"]))
    missing = [str(n) for n in marker.get("missing") or []]  # type: ignore[union-attr]
    if missing and not allow_missing:
        raise _missing_error(plan, missing)
    if missing:
        say(f"runar: going on without {', '.join(missing)} (--allow-missing)")
    site = str(marker["site_packages"])
    packages = provenance.installed_packages([site])
    own = provenance.installed_packages()
    for name, version in plan.linked.items():
        # runar is today's (what the rerun really runs); the project is the checked-out code
        packages[name] = own.get(SELF, version) if normal_name(name) == SELF else version
    variables = {"VIRTUAL_ENV": str(plan.folder)}
    bin_dir = str(plan.folder / "bin")
    variables["PATH"] = os.pathsep.join([bin_dir, *filter(None, [os.environ.get("PATH")])])
    for name in DETERMINISM_VARS:
        value = started.env.get(name)
        if value is not None and REDACTED not in value and name not in os.environ:
            variables[name] = value
    seconds = time.monotonic() - begun
    return RecordedEnv(
        python=plan.python_path,
        version=str(marker.get("version") or ""),  # type: ignore[union-attr]
        packages=dict(sorted(packages.items())),
        missing=missing,
        variables=variables,
        import_paths=[plan.project_path] if plan.project_path is not None else [],
        reused=reused,
        seconds=seconds,
    )


def needed_secrets(started: RunStarted, environ: Mapping[str, str]) -> list[tuple[str, bool]]:
    """The run's redacted variables, each with whether this environment sets it."""
    names = sorted(k for k, v in started.env.items() if REDACTED in v)
    return [(name, bool(environ.get(name))) for name in names]
