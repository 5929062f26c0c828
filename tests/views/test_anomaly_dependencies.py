"""The anomaly fold runs in every reindex, so what it imports is a dependency of runar itself."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import tomllib

import runar.views as views

ROOT = Path(__file__).resolve().parents[2]


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]
    }


def test_what_the_anomaly_fold_imports_is_installed_with_runar() -> None:
    # numpy was only in extras: a venv with runar's own dependencies crashed on 'runar ls'
    imported: set[str] = set()
    for path in sorted(Path(views.__file__).parent.glob("anomal*.py")):  # the rules' modules
        tree = ast.parse(path.read_text())
        imported |= {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "runar"}
    assert "numpy" in third_party and third_party <= declared(), third_party - declared()
