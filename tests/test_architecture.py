"""The tree shows the flow: events → journal → projector → views → front-ends.

Imports point one way, and what a training script loads stays light.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "runar"
README = Path(__file__).resolve().parents[1] / "README.md"

# Each layer may import itself and the layers listed for it (plus the shared base).
BASE = {
    "runar",
    "runar.errors",
    "runar.events",
    "runar.ids",
    "runar.store",
    "runar.mounts",
    "runar.redact",
    "runar.projects",
    "runar.records",  # plain data without dataclasses, for the runner's start path
    "runar.lazy_names",  # a package's names loaded on first use (PEP 562)
}
ALLOWED = {
    "runar.events": set(),
    "runar.display": set(),
    "runar.redact": set(),
    "runar.projects": set(),
    "runar.records": set(),
    "runar.lazy_names": set(),
    # runs of like metric events as one record: the codec's format-2 half, below it
    "runar.metric_columns": {"runar.events"},
    "runar.codec": {"runar.events", "runar.metric_columns"},
    "runar.journal": {"runar.codec", "runar.metric_columns"},
    "runar.sdk": {"runar.journal", "runar.codec"},
    "runar.runner": {"runar.journal", "runar.codec", "runar.remote"},
    # the team store: copies the log and files between a store and a bucket, as journal/sync
    "runar.remote": {"runar.journal", "runar.codec"},
    # importers write runs as the SDK does (through the journal), storing files with its save()
    "runar.importers": {"runar.journal", "runar.codec", "runar.sdk"},
    "runar.views": {"runar.journal", "runar.codec", "runar.metric_columns", "runar.projector"},
    "runar.projector": {"runar.views", "runar.journal", "runar.codec", "runar.metric_columns"},
    "runar.frames": {"runar.views", "runar.projector", "runar.journal", "runar.codec"},
    "runar.doctor": {"runar.views", "runar.projector", "runar.journal", "runar.codec"},
    "runar.cli": {
        "runar.views",
        "runar.projector",
        "runar.frames",
        "runar.journal",
        "runar.codec",
        "runar.runner",
        "runar.doctor",
        "runar.tui.app",
        "runar.display",
        "runar.web",
        "runar.compat",
        "runar.importers",
        "runar.report",
        "runar.remote",
        "runar.sweep",
    },
    # `runar sweep`: starts runners as child processes, writes its own record through the
    # journal, reads points' outcomes from the views
    "runar.sweep": {
        "runar.journal",
        "runar.codec",
        "runar.runner",
        "runar.views",
        "runar.projector",
    },
    "runar.tui": {
        "runar.sweep",  # the sweeps screen reads what `runar sweep ls/show` print
        "runar.views",
        "runar.projector",
        "runar.frames",
        "runar.journal",
        "runar.codec",
        "runar.display",
    },
    # `runar report`: tables and PDF/HTML reports read the views and frames, as the CLI does
    "runar.report": {
        "runar.views",
        "runar.projector",
        "runar.frames",
        "runar.journal",
        "runar.codec",
        "runar.display",
    },
    # the web server reuses `runar show --json`'s record builder, nothing else of the CLI
    # other trackers' APIs: they record through the SDK like a training script
    "runar.compat": {"runar.sdk"},
    # framework callbacks: the same, each framework imported only in its own module
    "runar.integrations": {"runar.sdk"},
    "runar.web": {
        "runar.views",
        "runar.projector",
        "runar.frames",
        "runar.journal",
        "runar.codec",
        "runar.display",
        "runar.cli.show",
        "runar.sweep",  # GET /api/sweeps: the records `runar sweep ls/show` print
        # the write API stores uploaded files exactly as save() does: same names, same checks
        "runar.sdk.artifacts",
    },
}
LIGHT = [
    *("runar", "runar.events", "runar.codec", "runar.journal", "runar.sdk", "runar.redact"),
    *("runar.compat.wandb", "runar.compat.mlflow"),
    *("runar.integrations", "runar.integrations.target"),
]
HEAVY = ["polars", "lmdb", "typer", "textual", "git", "rich", "numpy"]
HEAVY += ["torch", "transformers", "lightning", "keras", "tensorflow", "jax"]
WEB = ["runar.web", "starlette", "uvicorn"]
TRAINING_SIDE = [
    *("runar", "runar.sdk", "runar.journal", "runar.runner", "runar.cli.runner"),
    *("runar.compat.wandb", "runar.compat.mlflow"),
]


def _layer(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "runar" or m.startswith("runar.")}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__")
        out.append((name, path))
    return out


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_imports_point_one_way(module, path):
    layer = _layer(module)
    if layer not in ALLOWED:
        return  # runar/__init__ and __main__ are entry points
    allowed = BASE | ALLOWED[layer] | {layer}
    packages = allowed - {"runar"}  # the root package itself, never everything under it
    imported = _imports(path)
    bad = {
        m for m in imported if m not in allowed and not any(m.startswith(a + ".") for a in packages)
    }
    assert not bad, f"{module} imports {sorted(bad)} against the layering"


@pytest.mark.parametrize("module", LIGHT)
def test_training_side_modules_load_nothing_heavy(module):
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import {module} loaded {out.stdout.strip()}"


@pytest.mark.parametrize("module", TRAINING_SIDE)
def test_training_side_modules_load_nothing_of_the_web_server(module):
    code = f"import sys, {module}; print(','.join(m for m in {WEB!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import {module} loaded {out.stdout.strip()}"


def test_every_command_is_in_the_readme():
    from runar.cli import COMMANDS

    readme = README.read_text()
    for command in (*COMMANDS, "sync", "doctor"):
        assert f"`runar {command}" in readme, f"runar {command} is not documented in README.md"


def test_import_runar_leaves_the_compatible_apis_unloaded():
    code = "import sys, runar; print([m for m in sys.modules if m.startswith('runar.compat')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
