"""Environment redaction and the cheap installed-packages listing."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from runar.runner.provenance import REDACTED, installed_packages, is_secret_name, redact_env


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "HF_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "OPENAI_API_KEY",
        "DB_PASSWORD",
        "MYSQL_PWD",
        "PGPASSWD",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "BASIC_AUTH",
        "SSH_PRIVATE",
        "SESSION_COOKIE",
        "wandb_api_key",
    ],
)
def test_secret_names_are_recognized(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "PWD", "OLDPWD", "CUDA_VISIBLE_DEVICES", "LANG"])
def test_ordinary_names_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)


def test_secret_values_are_replaced_and_others_kept() -> None:
    env = {"HF_TOKEN": "hf_abc", "PATH": "/usr/bin", "MY_SECRET": "x"}
    assert redact_env(env) == {"HF_TOKEN": REDACTED, "PATH": "/usr/bin", "MY_SECRET": REDACTED}


def test_credentials_inside_url_values_are_stripped() -> None:
    env = {"DATABASE_URL": "postgres://admin:hunter2@db.local:5432/app"}
    assert redact_env(env) == {"DATABASE_URL": "postgres://db.local:5432/app"}


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
