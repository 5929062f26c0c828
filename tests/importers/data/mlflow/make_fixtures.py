"""Write the MLflow fixtures next to this file with the real mlflow (not needed to run the tests).

    python3 -m venv /tmp/mlvenv && /tmp/mlvenv/bin/pip install mlflow-skinny sqlalchemy alembic
    /tmp/mlvenv/bin/python tests/importers/data/mlflow/make_fixtures.py

Produces ``mlruns/`` (the file store) and ``sqlite/mlflow.db.gz`` with ``sqlite/mlartifacts/``
(gzipped: mlflow's schema makes an almost empty 1 MB database; the tests unpack it),
each holding the same three runs written through MlflowClient with fixed times, so the
tests can assert exact timestamps: ``baseline`` (finished), ``high-lr`` (failed, with a
nested child run ``high-lr-eval``). The run ids are mlflow's own random uuids.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

# mlflow 3 refuses the file store unless told; before importing it
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow
from mlflow.tracking import MlflowClient

HERE = Path(__file__).resolve().parent
T0 = 1_700_000_000_000  # ms, as mlflow stores times


def write_runs(client: MlflowClient, artifact_location: str | None) -> None:
    exp = client.create_experiment("demo", artifact_location=artifact_location)
    base = client.create_run(
        exp, start_time=T0, run_name="baseline", tags={"team": "vision", "mlflow.user": "ada"}
    )
    rid = base.info.run_id
    client.log_param(rid, "lr", "0.001")
    client.log_param(rid, "epochs", "3")
    client.log_param(rid, "optimizer", "adam")
    for step, (loss, acc) in enumerate([(0.9, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        client.log_metric(rid, "loss", loss, timestamp=T0 + 1000 * (step + 1), step=step)
        client.log_metric(rid, "acc", acc, timestamp=T0 + 1000 * (step + 1), step=step)
    client.set_tag(rid, "mlflow.note.content", "first try")
    client.set_tag(rid, "mlflow.source.git.commit", "0123456789abcdef0123456789abcdef01234567")
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp, "notes.txt")
        notes.write_text("converged after 3 epochs\n")
        client.log_artifact(rid, str(notes))
        model = Path(tmp, "model")
        model.mkdir()
        (model / "weights.bin").write_bytes(b"\x00\x01\x02\x03")
        client.log_artifacts(rid, str(model), artifact_path="model")
    client.set_terminated(rid, "FINISHED", end_time=T0 + 10_000)

    high = client.create_run(exp, start_time=T0 + 20_000, run_name="high-lr")
    hid = high.info.run_id
    client.log_param(hid, "lr", "0.1")
    client.log_metric(hid, "loss", 2.5, timestamp=T0 + 21_000, step=0)
    client.log_metric(hid, "loss", float("nan"), timestamp=T0 + 22_000, step=1)
    child = client.create_run(
        exp,
        start_time=T0 + 23_000,
        run_name="high-lr-eval",
        tags={"mlflow.parentRunId": hid},
    )
    client.log_metric(child.info.run_id, "val_loss", 3.0, timestamp=T0 + 24_000, step=0)
    client.set_terminated(child.info.run_id, "FINISHED", end_time=T0 + 25_000)
    client.set_terminated(hid, "FAILED", end_time=T0 + 30_000)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        write_runs(MlflowClient(tracking_uri=f"file:{tmp}/mlruns"), None)
        shutil.rmtree(HERE / "mlruns", ignore_errors=True)
        shutil.copytree(Path(tmp, "mlruns"), HERE / "mlruns")

        sqlite = Path(tmp, "sqlite")
        sqlite.mkdir()
        os.chdir(sqlite)
        client = MlflowClient(tracking_uri=f"sqlite:///{sqlite}/mlflow.db")
        write_runs(client, f"file:{sqlite}/mlartifacts")
        shutil.rmtree(HERE / "sqlite", ignore_errors=True)
        shutil.copytree(sqlite, HERE / "sqlite")
        db = HERE / "sqlite" / "mlflow.db"
        with gzip.open(db.with_name("mlflow.db.gz"), "wb", compresslevel=9) as out:
            out.write(db.read_bytes())
        db.unlink()
    print(
        f"mlflow {mlflow.__version__}: wrote {HERE / 'mlruns'} and {HERE / 'sqlite'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
