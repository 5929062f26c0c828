"""W&B offline runs written by the real wandb 0.31 (data/wandb/make_fixtures.py), no wandb here."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from runar.errors import UsageError
from runar.events import ArtifactAttached, NoteAdded, SummarySet
from runar.importers import import_runs
from runar.importers.leveldb_log import BLOCK_BYTES, LogDamage, iter_log
from runar.importers.wandb import read_wandb

from .conftest import DATA, segment_files

EXPECTED = json.loads((DATA / "wandb" / "expected.json").read_text())


@pytest.fixture
def wandb_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA / "wandb" / "wandb", tmp_path / "wandb"))


def by_name(results):
    return {r.name: r for r in results}


def test_config_history_summary_and_files_land(store, wandb_dir, imported):
    results = by_name(import_runs(store, "wandb", wandb_dir))
    assert sorted(results) == ["baseline", "diverged"]
    run = imported(results["baseline"].run_id)
    assert run.config == {
        "lr": 0.01,
        "model": {"depth": 4, "act": "relu"},
        "_wandb": {"project": "demo", "group": "lr-sweep", "job_type": "train", "id": "c9u16vph"},
    }
    assert run.series("loss")[:3] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    step, nan = run.series("loss")[3]
    assert step == 3 and math.isnan(nan)
    assert run.series("val/acc") == [(0, 0.5), (1, 0.6), (2, 0.7)]
    assert run.tags == ["wandb", "sweep"]
    assert "first try" in [e.text for e in run.events if isinstance(e, NoteAdded)]
    (summary,) = [e for e in run.events if isinstance(e, SummarySet)]
    assert summary.values["best_acc"] == 0.7
    assert [e.name for e in run.events if isinstance(e, ArtifactAttached)] == ["weights.txt"]
    assert run.finished.status == "completed"


def test_original_times_are_kept(store, wandb_dir, imported):
    results = by_name(import_runs(store, "wandb", wandb_dir))
    for expected in EXPECTED:
        run = imported(results[expected["name"]].run_id)
        assert run.started.ts == round(expected["start_time"] * 1e6) * 1000
        stamps = [ts for ts, _, _ in run.metrics]
        assert stamps == sorted(stamps) and stamps[0] > run.started.ts
        assert run.finished.ts >= stamps[-1]


def test_an_exception_in_the_script_is_a_failed_run(store, wandb_dir, imported):
    results = by_name(import_runs(store, "wandb", wandb_dir))
    run = imported(results["diverged"].run_id)
    assert run.finished.status == "failed"
    assert run.finished.error == "exit code 1"


def test_importing_twice_adds_nothing(store, wandb_dir):
    import_runs(store, "wandb", wandb_dir)
    files = segment_files(store)
    assert {r.outcome for r in import_runs(store, "wandb", wandb_dir)} == {"exists"}
    assert segment_files(store) == files


def test_a_flipped_byte_costs_the_rest_of_its_block_and_is_said(wandb_dir):
    (log,) = [p for p in wandb_dir.rglob("run-*.wandb") if EXPECTED[0]["id"] in p.name]
    blob = bytearray(log.read_bytes())
    assert len(blob) < BLOCK_BYTES  # one block: everything after the damage is lost
    at = blob.index(b"val")  # inside the first history record
    blob[at] ^= 0x20
    log.write_bytes(bytes(blob))
    run = next(r for r in read_wandb(wandb_dir) if r.name == "baseline")
    assert run.skipped == ["1 record(s) with a bad CRC (rest of block skipped)"]
    assert run.metrics == []
    assert run.config["model"] == {"depth": 4, "act": "relu"}  # read before the damage
    assert run.status == "crashed"  # the exit record was after the damage


def test_a_truncated_log_keeps_the_records_before_the_cut(wandb_dir):
    (log,) = [p for p in wandb_dir.rglob("run-*.wandb") if EXPECTED[0]["id"] in p.name]
    blob = log.read_bytes()
    damage = LogDamage()
    whole = list(iter_log(blob, damage))
    cut = list(iter_log(blob[:-3], damage))
    assert cut == whole[:-1]
    assert damage.truncated_bytes > 0


def test_a_file_that_is_no_wandb_log_is_one_clear_error(tmp_path):
    fake = tmp_path / "run-x.wandb"
    fake.write_bytes(b"PK\x03\x04 not a log")
    with pytest.raises(UsageError, match="is not a W&B run log"):
        read_wandb(fake)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match=r"no W&B run logs \(run-\*\.wandb\)"):
        read_wandb(empty)
