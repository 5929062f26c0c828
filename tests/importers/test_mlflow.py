"""MLflow stores written by the real mlflow (data/mlflow/make_fixtures.py), read with no mlflow."""

from __future__ import annotations

import gzip
import hashlib
import math
import shutil
from pathlib import Path

import pytest

from runar.errors import UsageError
from runar.events import ArtifactAttached, NoteAdded
from runar.importers import import_runs

from .conftest import DATA, segment_files

T0 = 1_700_000_000_000  # ms, the fixtures' clock
MS = 1_000_000


@pytest.fixture
def mlruns(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA / "mlflow" / "mlruns", tmp_path / "mlruns"))


@pytest.fixture
def mlflow_db(tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(DATA / "mlflow" / "sqlite", tmp_path / "sqlite"))
    db = folder / "mlflow.db"
    db.write_bytes(gzip.decompress((folder / "mlflow.db.gz").read_bytes()))
    return db


@pytest.fixture(params=["mlruns", "mlflow_db"])
def source(request) -> Path:
    return request.getfixturevalue(request.param)


def by_name(results):
    return {r.name: r for r in results}


def test_every_live_run_lands_once(store, source):
    results = by_name(import_runs(store, "mlflow", source))
    assert sorted(results) == ["baseline", "high-lr", "high-lr-eval"]
    assert {r.outcome for r in results.values()} == {"imported"}
    assert sorted(store.run_ids()) == sorted(r.run_id for r in results.values())


def test_params_metrics_tags_and_times(store, source, imported):
    results = by_name(import_runs(store, "mlflow", source))
    run = imported(results["baseline"].run_id)
    assert run.config == {
        "lr": 0.001,
        "epochs": 3,
        "optimizer": "adam",
        "_mlflow": {"experiment": "demo"},
    }
    assert run.series("loss") == [(0, 0.9), (1, 0.6), (2, 0.4)]
    assert run.series("acc") == [(0, 0.5), (1, 0.7), (2, 0.8)]
    assert [ts for ts, _, _ in run.metrics] == [(T0 + 1000 * k) * MS for k in (1, 2, 3)]
    assert run.started.ts == T0 * MS
    assert run.finished.ts == (T0 + 10_000) * MS
    assert run.finished.status == "completed"
    assert sorted(run.tags) == ["mlflow", "team:vision"]
    assert run.started.user == "ada"
    assert run.started.git.commit == "0123456789abcdef0123456789abcdef01234567"
    notes = [e.text for e in run.events if isinstance(e, NoteAdded)]
    assert "first try" in notes


def test_status_nan_and_the_nested_run(store, source, imported):
    results = by_name(import_runs(store, "mlflow", source))
    high = imported(results["high-lr"].run_id)
    assert high.finished.status == "failed"
    assert high.config == {"lr": 0.1, "_mlflow": {"experiment": "demo"}}
    (first, second) = high.series("loss")
    assert first == (0, 2.5)
    assert second[0] == 1 and math.isnan(second[1])
    child = imported(results["high-lr-eval"].run_id)
    assert child.started.parent_run == results["high-lr"].run_id
    assert child.series("val_loss") == [(0, 3.0)]


def test_artifact_files_are_copied_with_their_hashes(store, source, imported):
    results = by_name(import_runs(store, "mlflow", source))
    run_id = results["baseline"].run_id
    run = imported(run_id)
    attached = {e.name: e for e in run.events if isinstance(e, ArtifactAttached)}
    assert sorted(attached) == ["model", "notes.txt"]
    notes = store.artifacts_dir(run_id) / attached["notes.txt"].path
    assert notes.read_text() == "converged after 3 epochs\n"
    assert attached["notes.txt"].sha256 == hashlib.sha256(notes.read_bytes()).hexdigest()
    assert (store.artifacts_dir(run_id) / "model" / "weights.bin").read_bytes() == b"\0\1\2\3"


def test_importing_twice_adds_nothing(store, source):
    import_runs(store, "mlflow", source)
    files = segment_files(store)
    again = import_runs(store, "mlflow", source)
    assert {r.outcome for r in again} == {"exists"}
    assert segment_files(store) == files


def test_the_parent_folder_of_mlruns_is_accepted(store, mlruns):
    assert len(import_runs(store, "mlflow", mlruns.parent)) == 3


def test_a_garbage_line_in_a_metrics_file_is_skipped_and_said(store, mlruns, imported):
    (loss,) = [p for p in mlruns.rglob("metrics/loss") if "0.9" in p.read_text()]
    loss.write_text(loss.read_text() + "17000000\x00\x00garbage\n1700000004000 0.3 3\n")
    results = by_name(import_runs(store, "mlflow", mlruns))
    assert results["baseline"].skipped == ["1 unreadable line(s) in metrics/loss"]
    run = imported(results["baseline"].run_id)
    assert run.series("loss") == [(0, 0.9), (1, 0.6), (2, 0.4), (3, 0.3)]


def test_a_deleted_run_is_not_imported(store, mlruns):
    (meta,) = [p for p in mlruns.rglob("meta.yaml") if "run_name: high-lr-eval" in p.read_text()]
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    assert sorted(r.name for r in import_runs(store, "mlflow", mlruns)) == ["baseline", "high-lr"]


def test_a_corrupted_database_is_one_clear_error(store, mlflow_db):
    blob = bytearray(mlflow_db.read_bytes())
    blob[0:16] = b"not a database!!"  # the SQLite header
    mlflow_db.write_bytes(bytes(blob))
    with pytest.raises(UsageError, match=r"cannot read .*mlflow\.db. as an mlflow database"):
        import_runs(store, "mlflow", mlflow_db)
    assert store.run_ids() == []


def test_a_folder_that_is_no_store_is_a_usage_error(store, tmp_path):
    with pytest.raises(UsageError, match="not an mlflow store"):
        import_runs(store, "mlflow", tmp_path)
