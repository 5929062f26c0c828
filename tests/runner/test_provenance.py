"""The recorded environment (redacted through runar.redact) and the installed-packages listing."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from pathlib import Path

from runar.redact import REDACTED
from runar.runner.provenance import (
    installed_packages,
    platform_string,
    python_version,
    redact_env,
)


def test_the_recorded_environment_hides_secrets_by_name_and_by_shape() -> None:
    env = {
        "HF_TOKEN": "hf_abc",
        "PATH": "/usr/bin",
        "PWD": "/home/u/proj",
        "INNOCENT": "ghp_" + "a" * 36,
        "DATABASE_URL": "postgres://admin:hunter2@db.local:5432/app",
    }
    assert redact_env(env) == {
        "HF_TOKEN": REDACTED,
        "PATH": "/usr/bin",
        "PWD": "/home/u/proj",
        "INNOCENT": REDACTED,
        "DATABASE_URL": f"postgres://{REDACTED}@db.local:5432/app",
    }


def test_installed_packages_match_importlib_metadata() -> None:
    listed = installed_packages()
    for name in ("msgspec", "psutil", "pytest"):
        assert listed[name] == importlib.metadata.version(name)


def test_first_distribution_on_the_path_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "Foo_Bar-1.0.dist-info").mkdir(parents=True)
    (second / "foo_bar-2.0.dist-info").mkdir(parents=True)
    (second / "legacy-0.3-py3.11.egg-info").mkdir()
    (second / "not_a_dist").mkdir()
    missing = tmp_path / "missing"
    assert installed_packages([str(first), str(second), str(missing)]) == {
        "foo-bar": "1.0",
        "legacy": "0.3",
    }


def test_platform_string_is_what_the_platform_module_says() -> None:
    # built without the platform module on glibc Linux; the record must read the same
    assert platform_string() == platform.platform(terse=True)


def test_python_version_is_what_the_platform_module_says() -> None:
    assert python_version() == platform.python_version()
    assert python_version().startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
