"""What a run needs to be reproduced: interpreter, packages, platform and environment.

Secrets never reach the log: runar.redact hides a variable named like a secret and any
credential-looking value (a token under an innocent name, a URL's user:password).
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
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


def python_version() -> str:
    return platform.python_version()


def platform_string() -> str:
    """``Linux-6.1-x86_64-with-glibc2.36``; found once, then kept by the platform module."""
    with _PLATFORM_LOCK:  # a warm_platform() thread may be finding it: wait for its answer
        return platform.platform(terse=True)


def warm_platform() -> None:
    """Find the platform string on a thread: on Linux it runs ``uname -p``, a process."""
    threading.Thread(target=platform_string, name="runar-platform", daemon=True).start()


def host_name() -> str:
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
