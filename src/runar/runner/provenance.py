"""What a run needs to be reproduced: interpreter, packages, platform and environment.

Secrets never reach the log: runar.redact hides a variable named like a secret and any
credential-looking value (a token under an innocent name, a URL's user:password).
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from runar import redact

_DIST_SUFFIXES: Final = (".dist-info", ".egg-info")
_PLATFORM_LOCK: Final = threading.Lock()


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
    """``Linux-6.1-x86_64-with-glibc2.36``; found once, then kept by the platform module."""
    import platform  # on the thread that warms it, not before the script starts

    with _PLATFORM_LOCK:  # a warm_platform() thread may be finding it: wait for its answer
        return platform.platform(terse=True)


def warm_platform() -> None:
    """Find the platform string on a thread: on Linux it runs ``uname -p``, a process."""
    threading.Thread(target=platform_string, name="runar-platform", daemon=True).start()


def host_name() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename  # what gethostname() answers, without loading socket
    import socket

    return socket.gethostname()


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
