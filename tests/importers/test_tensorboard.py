"""TensorBoard logdirs written by the real tensorboardX, imported into a real store."""

from __future__ import annotations

import math
import shutil
import struct
from pathlib import Path

import pytest

from runar.errors import UsageError
from runar.importers import import_runs
from runar.importers.source_run import run_id_for
from runar.importers.tensorboard import read_logdir, shortest_float32

from .conftest import segment_files

tensorboardX = pytest.importorskip("tensorboardX")
T0 = 1_700_000_000.0  # seconds, as SummaryWriter takes walltime
NS = 1_000_000_000


def write_tf2_scalar(writer, tag: str, value: float, step: int, walltime: float) -> None:
    """A scalar as TF2's tf.summary.scalar writes it: a float32 tensor, metadata only once.

    tensorboardX has no such writer; its copies of TensorFlow's protos build the same
    message, the second time as TF's C++ writer does (tensor_content, no metadata).
    """
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    first = tag not in writer.__dict__.setdefault("_tf2_tags", set())
    writer._tf2_tags.add(tag)
    if first:
        tensor = TensorProto(dtype=1, tensor_shape=TensorShapeProto(), float_val=[value])
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
        summary_value = Summary.Value(tag=tag, tensor=tensor, metadata=metadata)
    else:
        content = struct.pack("<f", value)
        tensor = TensorProto(dtype=1, tensor_shape=TensorShapeProto(), tensor_content=content)
        summary_value = Summary.Value(tag=tag, tensor=tensor)
    writer._get_file_writer().add_summary(Summary(value=[summary_value]), step, walltime)


def train(logdir: Path) -> None:
    """A training loop logging the way PyTorch tutorials do, then its hyper-parameters."""
    writer = tensorboardX.SummaryWriter(str(logdir))
    for epoch in range(3):
        writer.add_scalar("Loss/train", [0.9, 0.5, 0.25][epoch], epoch, walltime=T0 + epoch)
        writer.add_scalar("Accuracy/test", [0.5, 0.75, 0.875][epoch], epoch, walltime=T0 + epoch)
    write_tf2_scalar(writer, "lr", 0.001, 0, T0)
    write_tf2_scalar(writer, "lr", 0.0005, 2, T0 + 2)
    writer.add_hparams(
        {"lr": 0.001, "bsize": 32, "optimizer": "sgd", "augment": True},
        {"hparam/accuracy": 0.875, "hparam/loss": 0.25},
    )
    writer.close()


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "runs" / "exp1"
    train(root)
    return root


def record_offsets(blob: bytes) -> list[int]:
    offsets, pos = [], 0
    while pos < len(blob):
        offsets.append(pos)
        pos += 12 + struct.unpack_from("<Q", blob, pos)[0] + 4
    return offsets


def root_run(logdir: Path):
    return next(r for r in read_logdir(logdir) if r.location == str(logdir))


def test_scalars_land_with_their_steps_values_and_wall_times(store, logdir, imported):
    results = import_runs(store, "tensorboard", logdir)
    main = next(r for r in results if r.name == "exp1")
    assert main.outcome == "imported"
    run = imported(main.run_id)
    assert run.series("Loss/train") == [(0, 0.9), (1, 0.5), (2, 0.25)]
    assert run.series("Accuracy/test") == [(0, 0.5), (1, 0.75), (2, 0.875)]
    assert run.series("lr") == [(0, 0.001), (2, 0.0005)]
    assert [ts for ts, step, _ in run.metrics if step == 1] == [int((T0 + 1) * NS)]
    assert run.started.ts == min(ts for ts, _, _ in run.metrics)
    assert run.started.source == "import"
    assert run.finished.status == "completed"
    assert run.tags == ["tensorboard"]
    assert run.config == {}


def test_add_hparams_becomes_config_and_summary_of_the_subfolder_run(store, logdir, imported):
    results = import_runs(store, "tensorboard", logdir)
    assert len(results) == 2
    main = next(r for r in results if r.name == "exp1")
    sub = next(r for r in results if r.name != "exp1")
    assert sub.name.startswith("exp1/")  # tensorboardX writes the session into <logdir>/<time>
    run = imported(sub.run_id)
    assert run.config == {"lr": 0.001, "bsize": 32.0, "optimizer": "sgd", "augment": True}
    assert run.series("hparam/accuracy") == [(0, 0.875)]
    assert run.series("hparam/loss") == [(0, 0.25)]
    assert run.started.parent_run == main.run_id
    from runar.events import SummarySet

    (summary,) = [e for e in run.events if isinstance(e, SummarySet)]
    assert summary.values == {"hparam/accuracy": 0.875, "hparam/loss": 0.25}


def test_importing_twice_adds_nothing(store, logdir):
    first = import_runs(store, "tensorboard", logdir)
    files = segment_files(store)
    second = import_runs(store, "tensorboard", logdir)
    assert [r.outcome for r in second] == ["exists", "exists"]
    assert [r.run_id for r in second] == [r.run_id for r in first]
    assert segment_files(store) == files


def test_a_copied_logdir_is_the_same_run(store, logdir, tmp_path):
    import_runs(store, "tensorboard", logdir)
    copy = tmp_path / "elsewhere" / "exp1"
    shutil.copytree(logdir, copy)
    assert {r.outcome for r in import_runs(store, "tensorboard", copy)} == {"exists"}


def test_name_and_tags_options(store, logdir, imported):
    results = import_runs(store, "tensorboard", logdir, name="baseline", tags=["old"])
    names = sorted(r.name for r in results)
    assert names[0] == "baseline" and names[1].startswith("baseline/")
    assert imported(results[0].run_id).tags == ["tensorboard", "old"]


def test_a_truncated_event_file_imports_what_precedes_the_cut(store, logdir, imported):
    (events,) = logdir.glob("events.out.tfevents.*")
    blob = events.read_bytes()
    last = record_offsets(blob)[-1]
    events.write_bytes(blob[:-5])  # a writer killed mid-record
    run = root_run(logdir)
    assert run.skipped == [f"a truncated record at the end ({len(blob) - last - 5} bytes)"]
    result = next(r for r in import_runs(store, "tensorboard", logdir) if r.name == "exp1")
    assert result.skipped == run.skipped
    assert imported(result.run_id).series("lr") == [(0, 0.001)]  # the last record was lr@2


def test_a_flipped_byte_drops_that_record_only(store, logdir, imported):
    (events,) = logdir.glob("events.out.tfevents.*")
    blob = bytearray(events.read_bytes())
    # file_version, Loss/train@0, Accuracy/test@0, then Loss/train@1
    pos = record_offsets(bytes(blob))[3]
    (length,) = struct.unpack_from("<Q", blob, pos)
    blob[pos + 12 + length - 2] ^= 0x10  # inside its float value
    events.write_bytes(bytes(blob))
    result = next(r for r in import_runs(store, "tensorboard", logdir) if r.name == "exp1")
    assert result.skipped == ["1 record(s) with a bad CRC"]
    run = imported(result.run_id)
    assert run.series("Loss/train") == [(0, 0.9), (2, 0.25)]
    assert run.series("Accuracy/test") == [(0, 0.5), (1, 0.75), (2, 0.875)]


def test_a_folder_without_event_files_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no TensorBoard event files"):
        read_logdir(tmp_path)
    with pytest.raises(UsageError, match="no such folder"):
        read_logdir(tmp_path / "missing")


def test_run_ids_are_stable_and_shaped_like_runar_ids():
    from runar.ids import is_run_id

    assert run_id_for("mlflow:abc") == run_id_for("mlflow:abc")
    assert run_id_for("mlflow:abc") != run_id_for("mlflow:abd")
    assert is_run_id(run_id_for("tensorboard:x"))


@pytest.mark.parametrize(
    ("stored", "shown"), [(0.9, 0.9), (0.1, 0.1), (1 / 3, 0.33333334), (1e-8, 1e-8)]
)
def test_float32_values_are_shown_as_the_decimal_that_was_logged(stored, shown):
    as_float32 = struct.unpack("<f", struct.pack("<f", stored))[0]
    assert shortest_float32(as_float32) == shown
    assert math.isnan(shortest_float32(math.nan))
