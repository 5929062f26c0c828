"""TensorBoard logdirs: one run per folder holding event files, as TensorBoard itself shows them.

Read without TensorFlow or protobuf: each record is an ``Event`` message, picked apart
with the wire reader for the few fields that matter here::

    Event        1 wall_time (double)  2 step (int64)  5 summary (Summary)
    Summary      1 value (repeated Value)
    Value        1 tag  2 simple_value (float)  8 tensor (TensorProto)  9 metadata
    Metadata     1 plugin_data {1 plugin_name, 2 content}  4 data_class (1 = scalar)
    TensorProto  1 dtype  2 shape  4 tensor_content  5 float_val  6 double_val
                 7 int_val  10 int64_val  11 bool_val  13 half_val

Scalars come as ``simple_value`` (tensorboardX, PyTorch, TF1) or as a one-element tensor
tagged by the ``scalars`` plugin (TF2, ``new_style`` writers); TF2 writes a tag's metadata
only with its first value, so the plugin is remembered per tag. The ``hparams`` plugin's
session start gives the config, its session end the status, and an experiment's metric
names the summary. Images, histograms, audio and graphs are not imported. A nested
folder's run names the nearest folder above it holding event files as its parent
(``add_hparams`` and ``add_scalars`` write into such subfolders).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from runar.errors import UsageError
from runar.importers import protowire as pw
from runar.importers.source_run import Metric, SourceRun
from runar.importers.tfrecord import RecordDamage, iter_records

EVENT_FILE_MARK: Final = "tfevents"
HPARAMS_PLUGIN: Final = "hparams"
SCALARS_PLUGIN: Final = "scalars"
DATA_CLASS_SCALAR: Final = 1
SESSION_FAILURE: Final = 2  # hparams Status.STATUS_FAILURE
NS: Final = 1_000_000_000
# TensorProto dtypes a scalar can have, with their tensor_content layout
DTYPE_LAYOUT: Final = {1: "<f", 2: "<d", 3: "<i", 4: "<B", 5: "<h", 6: "<b", 9: "<q", 10: "<?"}
DT_HALF: Final = 19


@dataclass
class FolderRead:
    """What the event files of one folder hold."""

    points: list[tuple[int, int, str, float]] = field(default_factory=list)  # ts, step, tag, v
    first_ts: int = 0
    last_ts: int = 0
    hparams: dict[str, Any] = field(default_factory=dict)
    hparam_metrics: list[str] = field(default_factory=list)
    failed: bool = False
    end_ts: int | None = None
    damage: RecordDamage = field(default_factory=RecordDamage)
    unreadable: list[str] = field(default_factory=list)
    undecodable: int = 0  # intact records that are not Event messages

    def mark(self) -> tuple[int, dict[str, Any], int, bool, int | None]:
        kept = (len(self.points), dict(self.hparams), len(self.hparam_metrics))
        return (*kept, self.failed, self.end_ts)

    def rollback(self, mark: tuple[int, dict[str, Any], int, bool, int | None]) -> None:
        """Forget what a record read since ``mark`` turned out to be damaged."""
        del self.points[mark[0] :]
        self.hparams = mark[1]
        del self.hparam_metrics[mark[2] :]
        self.failed, self.end_ts = mark[3], mark[4]

    def saw(self, ts: int) -> None:
        self.first_ts = ts if not self.first_ts else min(self.first_ts, ts)
        self.last_ts = max(self.last_ts, ts)


def event_folders(logdir: Path) -> dict[Path, list[Path]]:
    """Each folder under ``logdir`` (itself included) that holds event files → those files."""
    found: dict[Path, list[Path]] = {}
    for folder, dirs, files in os.walk(logdir):
        dirs.sort()
        events = sorted(f for f in files if EVENT_FILE_MARK in f and not f.endswith(".tmp"))
        if events:
            found[Path(folder)] = [Path(folder) / f for f in events]
    return found


def shortest_float32(value: float) -> float:
    """The shortest decimal that is the same float32: 0.9, not 0.8999999761581421.

    A scalar logged as 0.9 is stored as float32; widening it to a double shows digits the
    user never wrote (TensorBoard shows 0.9 too). Doubles stored as such are kept as is.
    """
    if value != value or value in (float("inf"), float("-inf")):
        return value
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack("<f", candidate) == packed:
            return candidate
    return value


def _scalar_from_tensor(tensor: bytes) -> float | None:
    """The value of a one-element tensor, or None for anything larger or unknown."""
    dtype = 0
    content = b""
    values: list[float] = []
    for number, wire, value in pw.fields(tensor):
        if number == 1:
            dtype = pw.as_int64(value)
        elif number == 2:
            for dim_no, _, dim in pw.fields(pw.as_bytes(value)):
                if dim_no == 2 and pw.field_value(pw.as_bytes(dim), 1) not in (None, 1):
                    return None  # a dimension other than 1: not a scalar
        elif number == 4:
            content = pw.as_bytes(value)
        elif number == 5:
            values += _repeated(value, wire, "<f", pw.as_float)
        elif number == 6:
            values += _repeated(value, wire, "<d", pw.as_double)
        elif number in (7, 10, 11, 13):
            raw = pw.packed_varints(value) if wire == pw.LENGTH else [pw.as_int64(value)]
            if number == 13:  # half_val: the fp16 bits in an int32
                values += [struct.unpack("<e", (v & 0xFFFF).to_bytes(2, "little"))[0] for v in raw]
            else:
                values += [float(v - (1 << 64) if v >= 1 << 63 else v) for v in raw]
    if content:
        layout = "<e" if dtype == DT_HALF else DTYPE_LAYOUT.get(dtype)
        if layout is None or len(content) != struct.calcsize(layout):
            return None
        got = float(struct.unpack(layout, content)[0])
        return shortest_float32(got) if dtype == 1 else got
    if len(values) != 1:
        return None
    return shortest_float32(values[0]) if dtype == 1 else values[0]


def _repeated(value: pw.Value, wire: int, layout: str, one: Any) -> list[float]:
    if wire == pw.LENGTH:  # packed
        raw = pw.as_bytes(value)
        size = struct.calcsize(layout)
        return [float(v) for (v,) in struct.iter_unpack(layout, raw[: len(raw) // size * size])]
    return [one(value)]


def _proto_value(raw: bytes) -> Any:
    """A google.protobuf.Value: number, string, bool, null, or a list/struct of those."""
    for number, _, value in pw.fields(raw):
        if number == 1:
            return None
        if number == 2:
            return pw.as_double(value)
        if number == 3:
            return pw.as_text(value)
        if number == 4:
            return bool(value)
        if number == 5:  # Struct: 1 fields (map<string, Value>)
            return dict(_map_entries(pw.as_bytes(value), 1))
        if number == 6:  # ListValue: 1 values
            return [_proto_value(pw.as_bytes(v)) for n, _, v in pw.fields(pw.as_bytes(value))]
    return None


def _map_entries(raw: bytes, number: int) -> list[tuple[str, Any]]:
    entries = []
    for n, _, entry in pw.fields(raw):
        if n != number:
            continue
        key, val = "", None
        for en, _, ev in pw.fields(pw.as_bytes(entry)):
            if en == 1:
                key = pw.as_text(ev)
            elif en == 2:
                val = _proto_value(pw.as_bytes(ev))
        entries.append((key, val))
    return entries


def _read_hparams(content: bytes, into: FolderRead) -> None:
    """HParamsPluginData: 2 experiment, 3 session_start_info, 4 session_end_info."""
    for number, _, value in pw.fields(content):
        body = pw.as_bytes(value) if isinstance(value, bytes) else b""
        if number == 2:  # Experiment: 5 metric_infos {1 name {1 group, 2 tag}}
            for n, _, info in pw.fields(body):
                if n == 5:
                    name = pw.field_value(pw.as_bytes(info), 1)
                    tag = pw.field_value(pw.as_bytes(name), 2) if name is not None else None
                    if tag is not None:
                        into.hparam_metrics.append(pw.as_text(tag))
        elif number == 3:  # SessionStartInfo: 1 hparams (map<string, Value>)
            into.hparams.update(_map_entries(body, 1))
        elif number == 4:  # SessionEndInfo: 1 status, 2 end_time_secs
            status = pw.field_value(body, 1)
            into.failed = status == SESSION_FAILURE
            end = pw.field_value(body, 2)
            if end is not None and pw.as_double(end) > 0:
                into.end_ts = int(pw.as_double(end) * NS)


def _read_event(data: bytes, plugins: dict[str, str], into: FolderRead) -> bool:
    """Fold one Event into ``into``; True when it held anything imported (CRC worth checking)."""
    wall = 0.0
    step = 0
    summary: bytes | None = None
    for number, _, value in pw.fields(data):
        if number == 1:
            wall = pw.as_double(value)
        elif number == 2:
            step = pw.as_int64(value)
        elif number == 5:
            summary = pw.as_bytes(value)
    ts = int(wall * NS)
    if summary is None:
        if ts:
            into.saw(ts)
        return False
    used = False
    for number, _, value in pw.fields(summary):
        if number != 1:
            continue
        tag, simple, tensor, plugin, content, data_class = "", None, None, None, b"", 0
        for vn, _, vv in pw.fields(pw.as_bytes(value)):
            if vn == 1:
                tag = pw.as_text(vv)
            elif vn == 2:
                simple = shortest_float32(pw.as_float(vv))
            elif vn == 8:
                tensor = pw.as_bytes(vv)
            elif vn == 9:
                for mn, _, mv in pw.fields(pw.as_bytes(vv)):
                    if mn == 1:
                        name = pw.field_value(pw.as_bytes(mv), 1)
                        plugin = pw.as_text(name) if name is not None else None
                        got = pw.field_value(pw.as_bytes(mv), 2)
                        content = pw.as_bytes(got) if got is not None else b""
                    elif mn == 4:
                        data_class = pw.as_int64(mv)
        if plugin is not None:
            plugins[tag] = SCALARS_PLUGIN if data_class == DATA_CLASS_SCALAR else plugin
        if plugin == HPARAMS_PLUGIN:
            _read_hparams(content, into)
            used = True
        elif simple is not None:
            into.points.append((ts, step, tag, simple))
            used = True
        elif tensor is not None and plugins.get(tag) == SCALARS_PLUGIN:
            scalar = _scalar_from_tensor(tensor)
            if scalar is not None:
                into.points.append((ts, step, tag, scalar))
                used = True
    if ts:
        into.saw(ts)
    return used


def read_folder(files: list[Path]) -> FolderRead:
    """Scalars and hparams of one folder's event files, with what had to be skipped."""
    into = FolderRead()
    for path in files:
        plugins: dict[str, str] = {}  # per file: each writer repeats the metadata it needs
        try:
            blob = path.read_bytes()
        except OSError as exc:
            into.unreadable.append(f"{path.name}: {exc.strerror}")
            continue
        for record in iter_records(blob, into.damage):
            mark = into.mark()
            try:
                used = _read_event(record.data, plugins, into)
            except pw.WireError:
                into.rollback(mark)
                if record.intact():
                    into.undecodable += 1
                else:
                    into.damage.bad_crc += 1
                continue
            # a damaged record may still parse: only what it would import is checked
            if used and not record.intact():
                into.rollback(mark)
                into.damage.bad_crc += 1
    return into


def _group(points: list[tuple[int, int, str, float]]) -> list[Metric]:
    """One Metric per step (more when a tag repeats at a step, as after a restart)."""
    by_step: dict[int, list[Metric]] = {}
    for ts, step, tag, value in sorted(points, key=lambda p: (p[1], p[0])):
        slots = by_step.setdefault(step, [])
        slot = next((m for m in slots if tag not in m.values), None)
        if slot is None:
            slot = Metric(ts, step, {})
            slots.append(slot)
        slot.values[tag] = value
        slot.ts = min(slot.ts, ts) if slot.ts else ts
    return [m for slots in by_step.values() for m in slots]


def _identity(files: list[Path]) -> str:
    """The earliest event file's name and first bytes: the same wherever the logdir is copied.

    The name holds the writer's start time and host; the first record holds its wall time
    to the microsecond, which tells apart folders written in the same second.
    """
    first = files[0]
    with open(first, "rb") as fh:
        head = fh.read(64)
    return f"tensorboard:{first.name}:{head.hex()}"


def _describe(damage: RecordDamage, unreadable: list[str], undecodable: int) -> list[str]:
    said = []
    if damage.bad_crc:
        said.append(f"{damage.bad_crc} record(s) with a bad CRC")
    if damage.bad_headers:
        said.append(f"{damage.bad_headers} damaged header(s), {damage.skipped_bytes} bytes skipped")
    if damage.truncated_bytes:
        said.append(f"a truncated record at the end ({damage.truncated_bytes} bytes)")
    if undecodable:
        said.append(f"{undecodable} record(s) that are not TensorBoard events")
    return said + [f"unreadable {u}" for u in unreadable]


def read_logdir(logdir: Path, name: str | None = None) -> list[SourceRun]:
    """One SourceRun per folder of ``logdir`` holding event files, parents before children."""
    logdir = Path(logdir).expanduser().absolute()
    if not logdir.exists():
        raise UsageError(f"no such folder '{logdir}'; give the logdir passed to SummaryWriter")
    if logdir.is_file():
        folders = {logdir.parent: [logdir]}
        logdir = logdir.parent
    else:
        folders = event_folders(logdir)
    if not folders:
        raise UsageError(f"no TensorBoard event files (events.out.tfevents.*) under '{logdir}'")
    identities: dict[Path, str] = {}
    runs = []
    for folder, files in sorted(folders.items()):
        read = read_folder(files)
        identities[folder] = _identity(files)
        rel = folder.relative_to(logdir).as_posix()
        base = name or logdir.name
        parent = next((identities[p] for p in folder.parents if p in identities), None)
        end = read.end_ts or read.last_ts
        run = SourceRun(
            kind="tensorboard",
            identity=identities[folder],
            location=str(folder),
            name=base if rel == "." else f"{base}/{rel}",
            started_ts=read.first_ts,
            ended_ts=end,
            status="failed" if read.failed else "completed",
            error="the hparams session ended with STATUS_FAILURE" if read.failed else None,
            config=read.hparams,
            metrics=_group(read.points),
            tags=["tensorboard"],
            parent_identity=parent,
            skipped=_describe(read.damage, read.unreadable, read.undecodable),
        )
        last: dict[str, float] = {}
        for _, _, tag, value in sorted(read.points):
            last[tag] = value
        run.summary = {k: last[k] for k in read.hparam_metrics if k in last}
        runs.append(run)
    return runs
