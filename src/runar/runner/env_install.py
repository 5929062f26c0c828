"""Creating a virtualenv and installing exact pins into it, with uv or pip.

The input is an EnvPlan (runner/recorded_env.py makes one from a run's record). Pins go in
with ``--no-deps``: they are a whole recorded environment, not requirements to resolve.
Pins the index cannot give are found one failed dry run at a time, from the installer's
own wording.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from runar.errors import RunarError
from runar.ids import short

INSTALL_TIMEOUT_S: Final = 1800.0
PROBE_TIMEOUT_S: Final = 30.0

Installer = Literal["uv", "pip"]


class EnvUnavailable(RunarError):
    """The recorded environment cannot be rebuilt here; the message says what is missing."""


@dataclass(frozen=True)
class EnvPlan:
    """What the rerun's environment holds and where it is cached."""

    run_id: str
    python: str  # the recorded major.minor
    interpreter: str  # the base interpreter it is built from
    pins: dict[str, str]  # installed from the index
    linked: dict[str, str]  # recorded pins taken from elsewhere: runar, the project
    project_path: str | None  # the checkout folder put first on PYTHONPATH
    installer: Installer
    folder: Path

    @property
    def python_path(self) -> Path:
        return self.folder / "bin" / "python"


def normal_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``My_Proj`` → ``my-proj``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def probe_version(executable: str) -> str | None:
    """The full version of an interpreter, or None when it does not run (a pyenv shim)."""
    try:
        done = subprocess.run(
            [executable, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def uv_path() -> str | None:
    """uv on PATH, or beside this interpreter (installed in the current venv)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if os.access(beside, os.X_OK) else None)


# how pip and uv name the requirement they could not satisfy
_NAMED_IN_ERROR: Final = (
    re.compile(r"No matching distribution found for ([\w.\-]+)"),
    re.compile(r"satisfies the requirement ([\w.\-]+)"),
    re.compile(r"Because (?:there is no version of )?([\w.\-]+?)(?:==\S+)? "),
)


def mentioned(text: str, names: list[str]) -> str | None:
    """The pin an installer's error names: its own wording first, else the first mention."""
    normal = {normal_name(n): n for n in names}
    for pattern in _NAMED_IN_ERROR:
        for found in pattern.finditer(text):
            name = normal.get(normal_name(found.group(1)))
            if name is not None:
                return name
    best: tuple[int, str] | None = None
    for name in names:
        spelled = r"[-_.]".join(re.escape(p) for p in re.split(r"[-_.]+", name))
        hit = re.search(rf"(?<![\w.-]){spelled}(?![\w-])", text, re.IGNORECASE)
        if hit and (best is None or hit.start() < best[0]):
            best = (hit.start(), name)
    return best[1] if best else None


class VenvBuilder:
    """Creates the venv and installs pins with one installer, reporting as it goes."""

    def __init__(self, plan: EnvPlan) -> None:
        self.plan = plan
        self.uv = uv_path()

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.pop("VIRTUAL_ENV", None)
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise EnvUnavailable(f"could not run {args[0]}: {exc}") from exc

    def create(self) -> None:
        plan = self.plan
        if self.uv is not None:
            seed = ["--seed"] if plan.installer == "pip" else []
            args = [self.uv, "venv", "-q", *seed, "--python", plan.interpreter, str(plan.folder)]
        else:
            args = [plan.interpreter, "-m", "venv", str(plan.folder)]
        done = self._run(args)
        if done.returncode != 0:
            raise EnvUnavailable(
                f"could not create a Python {plan.python} environment in {plan.folder}: "
                f"{last_line(done.stderr)}"
            )

    def install(self, pins: dict[str, str], dry_run: bool) -> subprocess.CompletedProcess[str]:
        requirements = self.plan.folder.with_name(self.plan.folder.name + ".requirements.txt")
        requirements.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
        python = str(self.plan.python_path)
        if self.plan.installer == "uv" and self.uv is not None:
            args = [self.uv, "pip", "install", "--python", python, "--no-deps"]
        else:
            args = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-input"]
        try:
            return self._run([*args, *(["--dry-run"] if dry_run else []), "-r", str(requirements)])
        finally:
            requirements.unlink(missing_ok=True)

    def unavailable(self) -> list[str]:
        """Pins the index cannot give, found one failed dry run at a time."""
        pins = dict(self.plan.pins)
        missing: list[str] = []
        while pins:
            done = self.install(pins, dry_run=True)
            if done.returncode == 0:
                break
            name = mentioned(done.stderr + done.stdout, sorted(pins))
            if name is None:
                raise EnvUnavailable(
                    f"{self.plan.installer} could not install run {short(self.plan.run_id)}'s "
                    f"packages: {last_line(done.stderr or done.stdout)}"
                )
            missing.append(name)
            del pins[name]
        return sorted(missing)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def site_packages(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=True,
    )
    return done.stdout.strip()
