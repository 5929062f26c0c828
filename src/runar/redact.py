"""Secrets never reach the log: redaction of argv, environment, config and loose strings.

Two independent tests, both applied at write time so no segment ever holds a secret:
    by name   the value of an option, variable or config key named like a secret
              (``--api-key X``, ``--token=X``, ``db.password=X``, ``HF_TOKEN``)
    by shape  a string that looks like a credential whatever it is called
              (``ghp_…``, ``sk-…``, ``xoxb-…``, ``AKIA…``, ``hf_…``, JWTs,
              ``https://user:pass@host``, Slack webhooks)
Only the record is redacted: the child process still gets the real values.
Stdlib only: the SDK imports this module inside training scripts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

REDACTED: Final = "***"
# a name is secret when it contains one of these words anywhere…
STRONG_WORDS: Final = frozenset(
    {"password", "passwd", "passphrase", "secret", "secrets", "credential", "credentials", "apikey"}
)
# …or ends with one of these: `--api-key`, `wandb_api_key`, `auth_token`, but not `max_tokens`
LAST_WORDS: Final = frozenset({"token", "key", "auth", "pat", "pwd", "cookie", "signature"})
# environment variable names are conventional (HF_TOKEN, AWS_SECRET_ACCESS_KEY): substrings suffice
ENV_MARKERS: Final = (
    "TOKEN",
    "SECRET",
    "KEY",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
)
_ENV_NOT_SECRET: Final = frozenset({"PWD", "OLDPWD"})  # the working directory, not a password
# SSL_CERT_FILE, PASSWORD_FILE, SSH_AUTH_SOCK hold where a secret lives, not the secret, and a
# rerun needs them as they were; a key or token pasted into one is still caught by its shape
_ENV_LOCATION_SUFFIXES: Final = ("_FILE", "_DIR", "_PATH", "_SOCK", "_BUNDLE")

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ASSIGNMENT = re.compile(r"^([+~]{0,2}[A-Za-z_][\w.\-/]*)=(.*)$", re.DOTALL)
_URL_USERINFO = re.compile(r"\b([a-z][a-z0-9+.\-]*://)[^\s/@:]+:[^\s/@]+@", re.IGNORECASE)
_SLACK_HOOK = re.compile(r"(https://hooks\.slack\.com/(?:services|workflows)/)[A-Za-z0-9/_\-]+")
_CREDENTIAL = re.compile(
    "|".join(
        (
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub tokens
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bglpat-[A-Za-z0-9_\-]{20,}",  # GitLab
            r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}",  # OpenAI, Anthropic
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
            r"\bAIza[0-9A-Za-z_\-]{35}",  # Google API keys
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
        )
    )
)


def _words(name: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def is_secret_name(name: str) -> bool:
    """True when an option or config key (``--api-key``, ``db.password``) names a secret."""
    words = _words(name.rsplit(".", 1)[-1]) if "." in name else _words(name)
    if not words:
        return False
    return words[-1] in LAST_WORDS or any(w in STRONG_WORDS for w in words)


def is_secret_env_name(name: str) -> bool:
    """True when an environment variable name suggests its value is a secret."""
    upper = name.upper()
    if upper in _ENV_NOT_SECRET or upper.endswith(_ENV_LOCATION_SUFFIXES):
        return False
    return any(marker in upper for marker in ENV_MARKERS)


def redact_value(text: str) -> str:
    """``text`` with every credential-looking part replaced; other text unchanged."""
    if len(text) < 8:  # too short for any credential shape: the common case, kept cheap
        return text
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _SLACK_HOOK.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _CREDENTIAL.sub(REDACTED, text)


def _option_name(token: str) -> str | None:
    """``api-key`` for ``--api-key`` / ``-api_key``; None for values and ``-``/``--``."""
    if not token.startswith("-") or token in ("-", "--"):
        return None
    name = token.lstrip("-")
    return name if name and not name[0].isdigit() else None  # -1e-3 is a value


def redact_argv(argv: list[str]) -> list[str]:
    """argv with the values of secret-named options and assignments, and credentials, hidden."""
    out: list[str] = []
    hide_next = False
    for token in argv:
        if hide_next:
            hide_next = False
            if not token.startswith("--"):
                out.append(REDACTED)
                continue
        name = _option_name(token)
        if name is not None:
            key, eq, value = name.partition("=")
            if not eq:
                hide_next = is_secret_name(key)
                out.append(token)
            elif is_secret_name(key):
                out.append(token[: len(token) - len(value)] + REDACTED)
            else:
                out.append(token[: len(token) - len(value)] + redact_value(value))
            continue
        assigned = _ASSIGNMENT.match(token)  # `api_key=…`, Hydra's `db.password=…`
        if assigned and is_secret_name(assigned.group(1).lstrip("+~")):
            out.append(f"{assigned.group(1)}={REDACTED}")
        else:
            out.append(redact_value(token))
    return out


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with secret-named values hidden and credentials in others replaced."""
    return {
        name: REDACTED if is_secret_env_name(name) else redact_value(value)
        for name, value in env.items()
    }


def redact_mapping(values: Mapping[str, object]) -> dict[str, object]:
    """A config with secret-named keys' text hidden and credential-looking strings replaced.

    Under a secret name text and integers (a PIN) are hidden; floats and booleans stay,
    since no credential is one.
    """
    return {
        str(key): _redact_item(value, is_secret_name(str(key))) for key, value in values.items()
    }


def _redact_item(value: object, secret: bool) -> object:
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return [_redact_item(item, secret) for item in value]
    if isinstance(value, str):
        return REDACTED if secret else redact_value(value)
    if isinstance(value, int) and not isinstance(value, bool) and secret:
        return REDACTED  # a numeric PIN or password
    return value
