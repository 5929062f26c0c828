"""Run training scripts the way users do (plain python, or `runar --as ...`) and read back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from runar.store import Store

SCRIPT_TIMEOUT_S = 60


def run_script(
    store: Store,
    folder: Path,
    code: str,
    *args: str,
    as_: str | None = None,
    env: dict[str, str] | None = None,
    name: str = "train.py",
) -> subprocess.CompletedProcess[str]:
    """Write ``code`` to ``folder/name``; run it with plain python or `python -m runar --as`."""
    script = folder / name
    script.write_text(textwrap.dedent(code))
    full_env = {**os.environ, "RUNAR_DIR": str(store.root), "RUNAR_SAMPLE_INTERVAL": "5"}
    full_env.pop("RUNAR_RUN_ID", None)
    full_env.update(env or {})
    runner = [sys.executable, "-m", "runar", "--as", as_] if as_ else [sys.executable]
    done = subprocess.run(
        [*runner, str(script), *args],
        cwd=folder,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
    return done


def records(store: Store) -> list[dict[str, Any]]:
    """`runar show --json` of every run in the store, oldest first."""
    from runar.cli.show import show_record
    from runar.views import open_views

    with open_views(store) as views:
        return [show_record(store, s, views.status(s)) for s in reversed(views.runs())]


def only_record(store: Store) -> dict[str, Any]:
    found = records(store)
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]


def parent_of(store: Store, run_id: str) -> str | None:
    from runar.views import open_views

    with open_views(store) as views:
        started = views.get(run_id).started
        return started.parent_run if started else None


def sdk_points(store: Store, run_id: str) -> dict[str, list[tuple[int, float]]]:
    """Metric points the script's API calls wrote (not what the runner read from stdout)."""
    import polars as pl

    import runar.frames as frames

    long = frames.metrics(runs=[run_id], store=store)
    mine = long.filter(pl.col("writer").str.starts_with("sdk-")).sort(["ts", "seq"])
    points: dict[str, list[tuple[int, float]]] = {}
    for row in mine.iter_rows(named=True):
        points.setdefault(row["key"], []).append((row["step"], row["value"]))
    return points


def artifact_texts(record: dict[str, Any]) -> dict[str, str]:
    """Each artifact's name → its stored content, decoded; a folder → its sorted file names."""
    texts = {}
    for artifact in record["artifacts"]:
        path = Path(artifact["file"])
        if path.is_dir():
            texts[artifact["name"]] = " ".join(
                sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))
            )
        else:
            texts[artifact["name"]] = path.read_text(errors="replace")
    return texts
