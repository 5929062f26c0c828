"""Odd values from the user and odd stores from others.

Bad input is either recorded faithfully or refused with one clear RunarError/TypeError
line, and nothing logged before it is lost. An untrusted store (symlinked run folders,
crafted artifact paths, a segment that is a symlink) cannot make runar read or write
outside it, and no read path unpickles anything. Figure: cases recorded, cases refused.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from runar.doctor import fix
from runar.events import (
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    RunStarted,
)
from runar.journal import JournalWriter, read_run
from runar.journal.sync import sync
from runar.store import Store
from runar.views import open_views

from .conftest import Figure

SRC: Final = Path(__file__).parents[2] / "src" / "runar"
BAD_INPUT = r"""
import json, os, sys
import runar

def attempt(case, fn):
    try:
        fn()
        print(json.dumps({"case": case, "ok": True}), flush=True)
    except Exception as exc:
        print(json.dumps({"case": case, "ok": False, "type": type(exc).__name__,
                          "message": str(exc)}), flush=True)

runar.init()
runar.log({"before": 1.0}, step=0)
attempt("non-finite metrics", lambda: runar.log(
    {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}, step=1))
attempt("10 MB string", lambda: runar.note("x" * (10 << 20)))
nested = {}
level = nested
for _ in range(200):
    level["d"] = {}
    level = level["d"]
attempt("deeply nested config", lambda: runar.config({"deep": nested}))
attempt("unserializable config", lambda: runar.config({"obj": object()}))
attempt("unserializable metric", lambda: runar.log({"obj": object()}))
attempt("artifact ..", lambda: runar.save("../escape.txt", "x"))
attempt("artifact absolute", lambda: runar.save("/tmp/escape.txt", "x"))
attempt("artifact NUL", lambda: runar.save("a\x00b.txt", "x"))
os.makedirs(sys.argv[2], exist_ok=True)
run_dir = os.path.join(os.environ["RUNAR_DIR"], "runs", os.environ["RUNAR_RUN_ID"])
os.makedirs(os.path.join(run_dir, "artifacts"), exist_ok=True)
os.symlink(sys.argv[2], os.path.join(run_dir, "artifacts", "out"))
attempt("artifact through a symlink", lambda: runar.save("out/escape.txt", "x"))
runar.log({"after": 2.0}, step=2)
runar.finish()
"""


def run_bad_input(tmp_path: Path) -> tuple[list[dict[str, object]], Store, Path]:
    root, outside = tmp_path / ".runar", tmp_path / "outside"
    env = {k: v for k, v in os.environ.items() if k != "RUNAR_RUN_ID"}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", BAD_INPUT, str(root), str(outside)],
        env={**env, "RUNAR_DIR": str(root)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()], Store(root), outside


@pytest.mark.timeout(180)
def test_bad_input_is_recorded_or_refused_and_nothing_is_lost(
    tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    results, store, outside = run_bad_input(tmp_path)
    outcome = {r["case"]: r for r in results}
    refused = [c for c, r in outcome.items() if not r["ok"]]
    assert sorted(refused) == sorted(
        [
            "unserializable metric",
            "artifact ..",
            "artifact absolute",
            "artifact NUL",
            "artifact through a symlink",
        ]
    )
    for case in refused:
        message = str(outcome[case]["message"])
        assert "\n" not in message and len(message) < 300, f"{case}: {message!r}"
    assert list(outside.iterdir()) == [] and not (tmp_path / "escape.txt").exists()

    (run_id,) = store.run_ids()
    got = read_run(store.run_dir(run_id))
    assert got.corrupt == 0
    metrics = {
        k: v for e in got.events if isinstance(e, MetricsLogged) for k, v in e.values.items()
    }
    assert metrics["before"] == 1.0 and metrics["after"] == 2.0
    assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf
    assert metrics["-inf"] == -math.inf
    notes = [e.text for e in got.events if isinstance(e, NoteAdded)]
    assert notes == ["x" * (10 << 20)]
    config = [e for e in got.events if isinstance(e, ConfigSet)]
    assert len(config) == 2, "deep and unserializable configs are recorded (deep ends in repr)"
    assert any(isinstance(e, RunFinished) and e.status == "completed" for e in got.events)
    with open_views(store) as views:
        assert views.status(views.get(run_id)) == "completed"
    figure(case="bad input", recorded=len(results) - len(refused), refused=len(refused))


NOT_UTF8 = b"loss 0.5 \xff\xfe\xc3( raw bytes\n"


@pytest.mark.timeout(120)
def test_non_utf8_output_is_kept_byte_for_byte(
    tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(f"import sys\nsys.stdout.buffer.write({NOT_UTF8!r})\nsys.stdout.flush()\n")
    env = {**os.environ, "RUNAR_DIR": str(tmp_path / ".runar")}
    env.pop("RUNAR_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "runar", str(script)], env=env, cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stderr[-1000:]
    store = Store(tmp_path / ".runar")
    (run_id,) = store.run_ids()
    chunks = [e for e in read_run(store.run_dir(run_id)).events if isinstance(e, OutputCaptured)]
    raw = b"".join(e.data if e.data is not None else (e.text or "").encode() for e in chunks)
    assert NOT_UTF8.strip() in raw.replace(b"\r\n", b"\n")
    figure(case="non-UTF-8 output", bytes_kept=len(NOT_UTF8))


def crafted_store(tmp_path: Path) -> tuple[Store, Path]:
    """A received store with a symlinked run folder, a symlinked segment, crafted paths."""
    store, outside = Store(tmp_path / "recv" / ".runar").create(), tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("keep me")
    run_id = "0123456789abcdef"
    with JournalWriter(store.run_dir(run_id), run_id) as w:
        w.append(RunStarted(run_id=run_id, name="crafted"))
        for path in ("../../../outside/victim.txt", "/etc/passwd", "a/../../x"):
            w.append(ArtifactAttached(name=path, kind="file", size=1, sha256="0", path=path))
        w.append(RunFinished(status="completed", exit_code=0))
    (store.runs_dir / "fedcba9876543210").symlink_to(outside, target_is_directory=True)
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_bytes((store.run_dir(run_id) / os.listdir(store.run_dir(run_id))[0]).read_bytes())
    (store.run_dir(run_id) / "sdk-zzzzzzzzzz.000001.jsonl").symlink_to(foreign)
    return store, outside


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.timeout(120)
def test_untrusted_store_cannot_reach_outside(
    tmp_path: Path, clean_env: Path, figure: Figure
) -> None:
    store, outside = crafted_store(tmp_path)
    before = snapshot(outside)
    with open_views(store) as views:
        assert [s.run_id for s in views.runs()] == ["0123456789abcdef"]
        assert len(views.get("crafted").artifacts) == 3  # recorded as data, never opened
    fix(store)
    report = sync(store.root, tmp_path / "mine")
    assert len(report.refused) == 2  # the symlinked run folder and the symlinked segment
    sync(tmp_path / "mine", store.root)
    assert snapshot(outside) == before
    assert not (tmp_path / "mine" / ".runar" / "runs" / "fedcba9876543210").exists()
    figure(case="untrusted store", writes_outside=0, symlinks_followed=0)


UNSAFE_LOADS: Final = re.compile(
    r"pickle\.loads?\(|torch\.load\(|allow_pickle\s*=\s*True|marshal\.loads?\(|yaml\.load\(|"
    r"(?<![.\w])eval\(|(?<![.\w])exec\("  # Polars' .list.eval(expr) runs an expression, not code
)


def test_no_read_path_unpickles_or_evaluates() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if UNSAFE_LOADS.search(line)
    ]
    assert offenders == []
