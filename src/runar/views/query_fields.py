"""Which fields a query can name, and the Field a key token stands for.

A key is ``config.lr``, ``metrics.val/loss``, ``metrics."val loss"``, ``status``… or a bare
``lr`` that matches any config or metric key ending in it. An unknown one is an error that
lists the valid ones.
"""

from __future__ import annotations

import re
from typing import Final

from runar.views.query_tokens import Token, query_error
from runar.views.query_tree import Field

FUNCTIONS: Final = ("min", "max", "best", "last")
PLAIN_FIELDS: Final = (
    "status", "name", "id", "tag", "project", "sweep", "created", "duration",
)  # fmt: skip
GIT_FIELDS: Final = ("git.branch", "git.commit")
PREFIXES: Final = ("config", "metrics", "summary", "git")
SHORT_FIELDS: Final = (
    "status", "tag", "name", "id", "project", "sweep", "git.branch", "git.commit",
)  # fmt: skip
ALIASES: Final = {"tags": "tag", "duration_s": "duration", "run_id": "id"}
VALID_FIELDS: Final = (
    "config.KEY, metrics.KEY, min(metrics.KEY), max(metrics.KEY), best(metrics.KEY), "
    "summary.KEY, status, name, id, tag, project, sweep, git.branch, git.commit, created, "
    "duration, or a bare key such as lr"
)


def resolve_field(token: Token, text: str) -> Field:
    """The field a key token names; an unknown prefix is an error listing the valid ones."""
    key = token.value
    lowered = ALIASES.get(key.lower(), key.lower())
    if lowered in PLAIN_FIELDS or lowered in GIT_FIELDS:
        return Field(lowered, pos=token.pos, text=token.text)
    prefix, dot, rest = key.partition(".")
    if not dot:
        if not re.fullmatch(r"[^\W\d][\w\-/@%]*", key):
            raise query_error(text, token.pos, f"'{key}' is not a field; use {VALID_FIELDS}")
        return Field("leaf", key, pos=token.pos, text=token.text)
    if prefix.lower() == "git":
        raise query_error(text, token.pos, f"unknown field '{key}'; use git.branch or git.commit")
    if prefix.lower() not in PREFIXES:
        hint = {"params": " (MLflow's params.* is config.*)", "tags": " (use tag:NAME)"}.get(
            prefix.lower(), ""
        )
        raise query_error(text, token.pos, f"unknown field '{key}'{hint}; use {VALID_FIELDS}")
    if not rest:
        raise query_error(text, token.pos, f"'{key}' needs a key after the dot, e.g. {key}lr")
    return Field(prefix.lower(), rest, pos=token.pos, text=token.text)
