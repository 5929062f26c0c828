"""The flat ``meta.yaml`` files of mlflow's file store, read without a YAML library.

mlflow writes them with PyYAML's ``safe_dump`` of a flat dict: ``key: value`` lines
whose values are plain scalars, 'single-quoted' or "double-quoted" strings, ``null`` or
``[]``; a long value is folded onto indented continuation lines. That small subset is
all this reads; runar takes no YAML dependency for one command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

_INT: Final = re.compile(r"[-+]?[0-9]+")
_FLOAT: Final = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def scalar(text: str) -> Any:
    """One YAML scalar as PyYAML's safe loader would read it (the subset mlflow writes)."""
    text = text.strip()
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            return json.loads(text)  # mlflow's double-quoted escapes are also JSON's
        except ValueError:
            return text[1:-1]
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def parse_meta(text: str) -> dict[str, Any]:
    """``key: value`` lines, folded continuation lines joined with a space."""
    raw: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" and last is not None:
            raw[last] += " " + line.strip()
            continue
        if line.startswith("- ") and last is not None:  # a block list (mlflow writes tags: [])
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip()
        raw[last] = value.strip()
    return {key: scalar(value) for key, value in raw.items()}


def read_meta(path: Path) -> dict[str, Any]:
    """A meta.yaml file as a dict."""
    return parse_meta(Path(path).read_text(encoding="utf-8", errors="replace"))
