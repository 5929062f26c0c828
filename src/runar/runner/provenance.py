"""What a run needs to be reproduced: interpreter, packages, platform and environment.

Secrets never reach the log: runar.redact hides a variable named like a secret and any
credential-looking value (a token under an innocent name, a URL's user:password).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from runar import redact

_DIST_SUFFIXES: Final = (".dist-info", ".egg-info")


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with secret values replaced and URL credentials stripped."""
    return redact.redact_env(env)


def installed_packages(search_path: list[str] | None = None) -> dict[str, str]:
    """name → version of the distributions on ``search_path`` (default: sys.path).

    Read from the ``*.dist-info`` folder names, which carry both: ~1 ms instead of the
    ~100 ms importlib.metadata needs to open every METADATA file.
    """
    found: dict[str, str] = {}
    for folder in search_path if search_path is not None else sys.path:
        try:
            entries = os.scandir(folder or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if not entry.name.endswith(_DIST_SUFFIXES):
                    continue
                stem = entry.name.rsplit(".", 1)[0]
                name, _, version = stem.partition("-")
                if not version:
                    continue
                key = name.replace("_", "-").lower()
                found.setdefault(
                    key, version.split("-")[0]
                )  # first on the path wins, as import does
    return dict(sorted(found.items()))


_RELEASE_LEVEL: Final = {"alpha": "a", "beta": "b", "candidate": "rc"}


def python_version() -> str:
    """``3.11.7`` (``3.14.0rc1`` for a pre-release), as platform.python_version() says it.

    Read from sys.version_info: the header needs it before the script starts, and the
    platform module costs ~1 ms to import there.
    """
    major, minor, micro, level, serial = sys.version_info
    return f"{major}.{minor}.{micro}" + (
        f"{_RELEASE_LEVEL[level]}{serial}" if level in _RELEASE_LEVEL else ""
    )


def platform_string() -> str:
    """``Linux-6.1.0-x86_64-with-glibc2.36``: what platform.platform(terse=True) says.

    On glibc Linux it is put together from os.uname() and the C library's version as the
    platform module does, without what made that ~20 ms of the runner's start: the
    module's regexes, compiled at import, and a ``uname -p`` process whose answer it
    drops there ("unknown", or the machine again). Elsewhere, the platform module.
    """
    linux = _glibc_linux_platform()
    if linux is not None:
        return linux
    import platform

    return platform.platform(terse=True)


def _glibc_linux_platform() -> str | None:
    uname = os.uname() if hasattr(os, "uname") else None
    if uname is None or uname.sysname != "Linux":
        return None
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"
    except (ValueError, OSError):
        return None
    name, _, version = libc.partition(" ")
    if not version:
        return None  # musl and others: the platform module knows how to find out
    parts = [uname.sysname, uname.release, uname.machine, "with", f"{name}{version}"]
    return _platform_cleaned("-".join(part.strip() for part in parts if part))


def _platform_cleaned(text: str) -> str:
    """platform._platform()'s clean-up: a name safe in a file name, no 'unknown', no '--'."""
    for char, replacement in (
        (" ", "_"), ("/", "-"), ("\\", "-"), (":", "-"), (";", "-"), ('"', "-"), ("(", "-"),
        (")", "-"),
    ):  # fmt: skip
        text = text.replace(char, replacement)
    text = text.replace("unknown", "")
    while "--" in text:
        text = text.replace("--", "-")
    return text.rstrip("-")


def user_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def resolve_executable(command: list[str]) -> str:
    """The absolute path of the program the command runs."""
    program = command[0]
    if os.sep in program:
        return str(Path(program).absolute())
    import shutil  # only for a bare name: it loads bz2 and lzma (~2 ms)

    return shutil.which(program) or program
