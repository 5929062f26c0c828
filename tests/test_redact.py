"""Secrets by name and by shape, in argv, environment, config and loose strings."""

from __future__ import annotations

import pytest

from runar.redact import (
    REDACTED,
    is_secret_env_name,
    is_secret_name,
    redact_argv,
    redact_env,
    redact_mapping,
    redact_value,
)

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
OPENAI = "sk-proj-" + "x9Y8z7W6v5U4t3S2r1Q0" * 2
ANTHROPIC = "sk-ant-api03-" + "Zz09" * 10
SLACK_BOT = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
HF = "hf_" + "AbCdEfGhIj" * 4
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train.py", "--api-key", "s3cr3t"], ["train.py", "--api-key", REDACTED]),
        (["train.py", "--api_key=s3cr3t"], ["train.py", f"--api_key={REDACTED}"]),
        (
            ["train.py", "--token", "abc", "--lr", "0.1"],
            ["train.py", "--token", REDACTED, "--lr", "0.1"],
        ),
        (["t.py", "--password=hunter2"], ["t.py", f"--password={REDACTED}"]),
        (["t.py", "--secret", "x"], ["t.py", "--secret", REDACTED]),
        (["t.py", "--wandb_api_key", "w"], ["t.py", "--wandb_api_key", REDACTED]),
        (["t.py", "--hub-token", "h"], ["t.py", "--hub-token", REDACTED]),
        (["t.py", "-apiKey", "k"], ["t.py", "-apiKey", REDACTED]),
        (["t.py", "api_key=sk-short"], ["t.py", f"api_key={REDACTED}"]),
        (
            ["t.py", "db.password=pw", "+db.user=bob"],
            ["t.py", f"db.password={REDACTED}", "+db.user=bob"],
        ),
        # a secret-named flag followed by another option hides nothing
        (["t.py", "--use-auth", "--lr", "0.1"], ["t.py", "--use-auth", "--lr", "0.1"]),
        # hyper-parameters that merely mention tokens stay
        (
            ["t.py", "--max-tokens", "512", "--lr=-1e-3"],
            ["t.py", "--max-tokens", "512", "--lr=-1e-3"],
        ),
        # credentials under innocent names, as values or inside them
        (["t.py", "--remote", GHP], ["t.py", "--remote", REDACTED]),
        (["t.py", f"--hook={OPENAI}"], ["t.py", f"--hook={REDACTED}"]),
        (
            ["t.py", "url=https://bob:pw@h.example/x"],
            ["t.py", f"url=https://{REDACTED}@h.example/x"],
        ),
    ],
)
def test_argv_values_of_secrets_are_hidden(argv: list[str], expected: list[str]) -> None:
    assert redact_argv(argv) == expected


@pytest.mark.parametrize(
    "secret", [GHP, OPENAI, ANTHROPIC, SLACK_BOT, AWS_ID, HF, JWT, "github_pat_" + "1A" * 20]
)
def test_credential_shapes_are_replaced_wherever_they_appear(secret: str) -> None:
    assert redact_value(f"prefix {secret} suffix") == f"prefix {REDACTED} suffix"


def test_a_url_keeps_its_host_and_loses_its_user_and_password() -> None:
    assert redact_value("https://alice:s3cret@example.com:8443/repo.git") == (
        f"https://{REDACTED}@example.com:8443/repo.git"
    )
    assert redact_value("git@github.com:o/r.git") == "git@github.com:o/r.git"


def test_a_slack_webhook_keeps_only_its_host() -> None:
    hook = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
    assert redact_value(hook) == f"https://hooks.slack.com/services/{REDACTED}"


def test_a_private_key_block_is_replaced() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    assert redact_value(f"key: {pem}") == f"key: {REDACTED}"


@pytest.mark.parametrize(
    "text",
    ["resnet50", "sk-learn", "/data/imagenet/train", "https://example.com/a", "lr=0.001"],
)
def test_ordinary_strings_are_kept(text: str) -> None:
    assert redact_value(text) == text


@pytest.mark.parametrize(
    "name", ["api_key", "api-key", "apiKey", "token", "hub_token", "db.password", "client_secret"]
)
def test_secret_option_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["max_tokens", "eos_token_id", "lr", "keyframes", "passes"])
def test_ordinary_option_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "OPENAI_API_KEY",
        "MY_SERVICE_TOKEN",
        "MYSQL_PWD",
        "PGPASSWD",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "SESSION_COOKIE",
        "wandb_api_key",
    ],
)
def test_secret_env_names(name: str) -> None:
    assert is_secret_env_name(name)


@pytest.mark.parametrize(
    "name",
    [
        *("PATH", "HOME", "PWD", "OLDPWD", "CUDA_VISIBLE_DEVICES"),
        # where a secret or a certificate lives, which a rerun needs as it was
        *("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSH_AUTH_SOCK"),
        "NETRC_PATH",
    ],
)
def test_ordinary_env_names(name: str) -> None:
    assert not is_secret_env_name(name)


def test_a_location_variable_holding_a_credential_is_still_hidden_by_shape() -> None:
    assert redact_env({"TOKEN_FILE": GHP}) == {"TOKEN_FILE": REDACTED}


def test_env_hides_by_name_and_by_shape() -> None:
    env = {"OPENAI_API_KEY": "x", "INNOCENT": GHP, "HOME": "/home/u"}
    assert redact_env(env) == {"OPENAI_API_KEY": REDACTED, "INNOCENT": REDACTED, "HOME": "/home/u"}


def test_config_is_redacted_at_every_depth() -> None:
    config = {
        "lr": 0.1,
        "db": {"password": "pw", "host": "db.local", "port": 5432},
        "hub_token": 12345,
        "use_auth": True,
        "endpoints": [{"api_key": "k"}, "https://u:p@h.example/x", OPENAI],
        "note": f"uses {OPENAI}",
    }
    assert redact_mapping(config) == {
        "lr": 0.1,
        "db": {"password": REDACTED, "host": "db.local", "port": 5432},
        "hub_token": REDACTED,
        "use_auth": True,
        "endpoints": [{"api_key": REDACTED}, f"https://{REDACTED}@h.example/x", REDACTED],
        "note": f"uses {REDACTED}",
    }


def test_redaction_does_not_change_its_input() -> None:
    argv = ["t.py", "--token", "abc"]
    config = {"password": "pw"}
    redact_argv(argv)
    redact_mapping(config)
    assert argv == ["t.py", "--token", "abc"] and config == {"password": "pw"}
