"""mlflow's fluent API in-process against a real store: tags, statuses, times, artifacts."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

import runar.compat.mlflow as mlflow
from runar.store import Store

from ..helpers import artifact_texts, only_record, records

MS = 1_000_000  # ns per ms


def test_a_timestamp_in_ms_becomes_the_metric_time(store: Store) -> None:
    import runar.frames as frames

    with mlflow.start_run():
        mlflow.log_metric("loss", 0.5, step=1, timestamp=1_700_000_000_123)
        mlflow.log_metrics({"acc": 0.9}, step=1, timestamp=1_700_000_000_456)
    points = frames.metrics(store=store).sort("key")
    assert points.select("key", "step", "ts").rows() == [
        ("acc", 1, 1_700_000_000_456 * MS),
        ("loss", 1, 1_700_000_000_123 * MS),
    ]


def test_tags_become_key_value_tags_and_mlflow_tags_keep_their_meaning(store: Store) -> None:
    with mlflow.start_run(tags={"team": "vision"}, description="baseline for the paper"):
        mlflow.set_tags({"model": "resnet18", "mlflow.runName": "renamed", "empty": ""})
        mlflow.set_tag("mlflow.note.content", "a longer description")
        mlflow.set_tag("commit_message", "fix\nthe loader")
        mlflow.set_tag("stale", "yes")
        mlflow.delete_tag("stale")
        assert mlflow.active_run().data.tags["model"] == "resnet18"
    record = only_record(store)
    assert record["name"] == "renamed"
    assert record["tags"] == ["empty", "model:resnet18", "team:vision"]
    assert [n["text"] for n in record["notes"]] == [
        "baseline for the paper",
        "a longer description",
        "commit_message: fix\nthe loader",
    ]


@pytest.mark.parametrize(
    ("status", "recorded"), [("FINISHED", "completed"), ("FAILED", "failed"), ("KILLED", "killed")]
)
def test_end_run_status_is_the_run_status(store: Store, status: str, recorded: str) -> None:
    mlflow.start_run()
    mlflow.end_run(status=status)
    assert mlflow.active_run() is None
    assert mlflow.last_active_run().info.status == status
    assert only_record(store)["status"] == recorded


def test_a_second_start_run_without_nested_is_refused_as_in_mlflow(store: Store) -> None:
    with mlflow.start_run() as run:
        with pytest.raises(mlflow.MlflowException, match="nested=True"):
            mlflow.start_run()
        assert mlflow.active_run() is run


def test_ending_an_outer_run_ends_its_nested_runs(store: Store) -> None:
    outer = mlflow.start_run(run_name="outer")
    mlflow.start_run(run_name="inner", nested=True)
    mlflow.end_run()  # ends inner only
    mlflow.start_run(run_name="inner2", nested=True)
    outer.__exit__(None, None, None)
    assert mlflow.active_run() is None
    assert {r["name"]: r["status"] for r in records(store)} == {
        "outer": "completed",
        "inner": "completed",
        "inner2": "completed",
    }


def test_run_info_says_where_the_artifacts_are(store: Store) -> None:
    with mlflow.start_run(run_name="info") as run:
        assert run.info.run_name == "info" and run.info.status == "RUNNING"
        assert run.info.experiment_id == "0"
        uri = mlflow.get_artifact_uri("model")
    assert uri == store.artifacts_dir(run.info.run_id).as_uri() + "/model"


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the raw scanlines of a PNG runar wrote (one IDAT chunk)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    start = data.index(b"IDAT") + 4
    length = int.from_bytes(data[start - 8 : start - 4], "big")
    return width, height, zlib.decompress(data[start : start + length])


def test_log_image_encodes_an_array_as_png_without_pil(store: Store) -> None:
    image = np.zeros((2, 3, 3), dtype=np.float32)
    image[0, 0] = [1.0, 0.5, 0.0]
    with mlflow.start_run() as run:
        mlflow.log_image(image, "plots/sample.png")
        mlflow.log_image(image, key="samples", step=4)
    folder = store.artifacts_dir(run.info.run_id)
    width, height, rows = _png_pixels((folder / "plots/sample.png").read_bytes())
    assert (width, height) == (3, 2)
    assert rows[:4] == bytes([0, 255, 127, 0])  # filter byte, then the first pixel
    assert (folder / "images/samples/step_4.png").read_bytes()[:4] == b"\x89PNG"


def test_log_dict_table_and_folder_artifacts(store: Store, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    (outputs / "ckpt").mkdir(parents=True)
    (outputs / "metrics.csv").write_text("step,loss\n0,1.0\n")
    (outputs / "ckpt" / "last.txt").write_text("w")
    with mlflow.start_run():
        mlflow.log_artifacts(str(outputs), artifact_path="run1")
        mlflow.log_dict({"layers": [64, 32]}, "model.yaml")
        mlflow.log_table({"id": [1, 2], "label": ["cat", "dog"]}, "preds.json")
        mlflow.sklearn.log_model({"coef": [0.5]}, "model")
    record = only_record(store)
    texts = artifact_texts(record)
    assert sorted(texts) == [
        "model.yaml",
        "model/model.pkl",
        "preds.json",
        "run1/ckpt",
        "run1/metrics.csv",
    ]
    assert texts["run1/metrics.csv"] == "step,loss\n0,1.0\n"
    assert texts["run1/ckpt"] == "last.txt"
    assert json.loads(texts["preds.json"]) == {
        "columns": ["id", "label"],
        "data": [[1, "cat"], [2, "dog"]],
    }
    assert "64" in texts["model.yaml"]


def test_a_figure_of_an_unknown_kind_is_refused_by_name(store: Store) -> None:
    with (
        mlflow.start_run(),
        pytest.raises(TypeError, match="matplotlib or plotly figure, got dict"),
    ):
        mlflow.log_figure({"not": "a figure"}, "fig.png")


def test_tracking_uri_and_autolog_are_accepted(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    mlflow.set_tracking_uri("http://localhost:5000")
    assert mlflow.get_tracking_uri() == "http://localhost:5000"
    mlflow.pytorch.autolog()
    mlflow.autolog(log_models=False)
    assert capsys.readouterr().err.count("autolog") == 1
