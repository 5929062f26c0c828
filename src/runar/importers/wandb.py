"""W&B offline runs (``wandb/offline-run-*/run-*.wandb``) read without the wandb package.

Since wandb 0.19 the log is written and read by the Go ``wandb-core`` binary; the Python
package no longer has a reader to lean on, so this one decodes the few ``Record`` fields
it needs (wandb_internal.proto) with the wire reader::

    Record        17 run  2 history  3 summary  5 config  6 files  18 exit
    RunRecord     1 run_id  2 entity  3 project  4 config  6 group  7 job_type
                  8 display_name  9 notes  10 tags  17 start_time {1 seconds, 2 nanos}
    History       1 item {1 key, 2 nested_key…, 4 bool, 5 sint64, 6 double, 16 value_json}
    Config        1 update {1 key, 2 nested_key…, 16 value_json}   (Summary likewise)
    RunExit       1 exit_code  2 runtime (s)
    Files         1 files {1 path, 3 type (1 = wandb's own)}

``project``, ``entity``, ``group``, ``job_type`` and the id go to config ``_wandb.*``, as
``runar.compat.wandb`` records them. Numeric history values become metrics at ``_step``,
stamped with ``_timestamp``; nested keys are joined with ``/`` (as ``runar.compat.wandb``
flattens them); media and tables (JSON objects) are left out. Files the script saved
(``wandb.save``) become artifacts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from runar.errors import UsageError
from runar.importers import protowire as pw
from runar.importers.leveldb_log import LogDamage, NotAWandbFile, iter_log
from runar.importers.source_run import Metric, SourceRun

NS: Final = 1_000_000_000
FILE_TYPE_WANDB: Final = 1
RUN, HISTORY, SUMMARY, CONFIG, FILES, EXIT = 17, 2, 3, 5, 6, 18
INTERNAL_CONFIG: Final = "_wandb"


def _item(raw: bytes) -> tuple[list[str], Any]:
    """A History/Config/Summary item: its key path and its value (None when unreadable)."""
    path: list[str] = []
    value: Any = None
    for number, _, field in pw.fields(raw):
        if number == 1:
            path = [pw.as_text(field)]
        elif number == 2:
            path.append(pw.as_text(field))
        elif number == 4:
            value = bool(field)
        elif number == 5 and isinstance(field, int):
            value = (field >> 1) ^ -(field & 1)  # sint64: zigzag
        elif number == 6:
            value = pw.as_double(field)
        elif number == 16:
            try:
                value = json.loads(pw.as_text(field))
            except ValueError:
                value = None
    return path, value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return None


def _set_nested(into: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        child = into.get(key)
        if not isinstance(child, dict):
            child = into[key] = {}
        into = child
    into[path[-1]] = value


class _RunState:
    def __init__(self) -> None:
        self.meta: dict[str, Any] = {"tags": []}
        self.config: dict[str, Any] = {}
        self.summary: dict[str, float] = {}
        self.metrics: list[Metric] = []
        self.files: list[str] = []
        self.exit_code: int | None = None
        self.runtime = 0
        self.last_ts = 0

    def run(self, raw: bytes) -> None:
        names = {1: "run_id", 2: "entity", 3: "project", 6: "group", 7: "job_type"}
        names |= {8: "display_name", 9: "notes"}
        for number, _, field in pw.fields(raw):
            if number in names:
                self.meta[names[number]] = pw.as_text(field)
            elif number == 10:
                self.meta["tags"].append(pw.as_text(field))
            elif number == 4:
                self.config_update(pw.as_bytes(field))
            elif number == 17:
                seconds = pw.field_value(pw.as_bytes(field), 1)
                nanos = pw.field_value(pw.as_bytes(field), 2)
                self.meta["start_ts"] = pw.as_int64(seconds or 0) * NS + pw.as_int64(nanos or 0)

    def config_update(self, raw: bytes) -> None:
        for number, _, field in pw.fields(raw):
            if number == 1:
                path, value = _item(pw.as_bytes(field))
                if path and path[0] != INTERNAL_CONFIG:
                    # wandb wraps each config value as {"value": v, "desc": …} in config.yaml
                    # but not in the log; unwrap in case a writer does
                    if isinstance(value, dict) and set(value) <= {"value", "desc"}:
                        value = value.get("value")
                    _set_nested(self.config, path, value)

    def history(self, raw: bytes) -> None:
        values: dict[str, float] = {}
        item_step: int | None = None
        record_step = 0
        ts = 0
        for number, _, field in pw.fields(raw):
            if number == 1:
                path, value = _item(pw.as_bytes(field))
                key = "/".join(path)
                if key == "_step" and isinstance(value, int):
                    item_step = value
                elif key == "_timestamp" and (seconds := _number(value)) is not None:
                    ts = int(seconds * NS)
                elif not key.startswith("_") and (number_value := _number(value)) is not None:
                    values[key] = number_value
            elif number == 2:  # HistoryStep {1 num}
                got = pw.field_value(pw.as_bytes(field), 1)
                record_step = pw.as_int64(got) if got is not None else 0
        if values:
            ts = ts or self.last_ts or self.meta.get("start_ts", 0)
            step = item_step if item_step is not None else record_step
            self.metrics.append(Metric(ts, step, values))
        self.last_ts = max(self.last_ts, ts)

    def summary_update(self, raw: bytes) -> None:
        for number, _, field in pw.fields(raw):
            if number == 1:
                path, value = _item(pw.as_bytes(field))
                key = "/".join(path)
                if key and not key.startswith("_") and (number_value := _number(value)) is not None:
                    self.summary[key] = number_value

    def files_record(self, raw: bytes) -> None:
        for number, _, field in pw.fields(raw):
            if number == 1:
                item = pw.as_bytes(field)
                path = pw.field_value(item, 1)
                kind = pw.field_value(item, 3)
                if path is not None and kind != FILE_TYPE_WANDB:
                    self.files.append(pw.as_text(path))

    def exit(self, raw: bytes) -> None:
        code = pw.field_value(raw, 1)
        self.exit_code = pw.as_int64(code) if code is not None else 0
        runtime = pw.field_value(raw, 2)
        self.runtime = pw.as_int64(runtime) if runtime is not None else 0


def _apply(state: _RunState, record: bytes) -> None:
    for number, _, field in pw.fields(record):
        if not isinstance(field, bytes):
            continue
        if number == RUN:
            state.run(field)
        elif number == HISTORY:
            state.history(field)
        elif number == SUMMARY:
            state.summary_update(field)
        elif number == CONFIG:
            state.config_update(field)
        elif number == FILES:
            state.files_record(field)
        elif number == EXIT:
            state.exit(field)


def read_wandb_file(path: Path) -> SourceRun:
    """One offline run from its ``run-<id>.wandb`` log."""
    damage = LogDamage()
    state = _RunState()
    undecodable = 0
    try:
        for record in iter_log(path.read_bytes(), damage):
            try:
                _apply(state, record)
            except pw.WireError:
                undecodable += 1
    except NotAWandbFile as exc:
        raise UsageError(f"'{path}' is not a W&B run log ({exc})") from exc
    meta = state.meta
    start = meta.get("start_ts") or min((m.ts for m in state.metrics), default=0)
    end = max(state.last_ts, start + state.runtime * NS)
    run_id = meta.get("run_id") or path.stem.removeprefix("run-")
    project = meta.get("project") or "uncategorized"
    run = SourceRun(
        kind="wandb",
        identity=f"wandb:{meta.get('entity', '')}:{project}:{run_id}",
        location=str(path.parent),
        name=meta.get("display_name") or run_id,
        started_ts=start,
        ended_ts=end,
        metrics=state.metrics,
        summary=state.summary,
        tags=["wandb", *meta["tags"]],
        project=meta.get("project") or None,
    )
    # where runar.compat.wandb keeps init()'s project, group… so both kinds of run compare
    keys = ("project", "entity", "group", "job_type")
    wandb_meta = {key: meta[key] for key in keys if meta.get(key)} | {"id": run_id}
    run.config = {**state.config, "_wandb": wandb_meta}
    if meta.get("notes"):
        run.notes.append(meta["notes"])
    if state.exit_code is None:
        run.status = "crashed"  # the log ends before wandb.finish(): the script died
        run.error = "the W&B log has no exit record"
    elif state.exit_code != 0:
        run.status = "failed"
        run.error = f"exit code {state.exit_code}"
    files_dir = path.parent / "files"
    run.artifacts = [(f, files_dir / f) for f in state.files if (files_dir / f).is_file()]
    if damage.bad_crc:
        run.skipped.append(f"{damage.bad_crc} record(s) with a bad CRC (rest of block skipped)")
    if damage.broken:
        run.skipped.append(f"{damage.broken} record(s) missing a fragment")
    if damage.truncated_bytes:
        run.skipped.append(f"a truncated record at the end ({damage.truncated_bytes} bytes)")
    if undecodable:
        run.skipped.append(f"{undecodable} record(s) that do not decode")
    return run


def run_logs(path: Path) -> list[Path]:
    """The run logs under ``path``: a .wandb file, a run folder, or a ``wandb/`` folder."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("run-*.wandb") if p.is_file())


def read_wandb(path: Path) -> list[SourceRun]:
    """Every offline (or synced) run found under ``path``, oldest first."""
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise UsageError(f"no such file or folder '{path}'; give a wandb/ folder or a run folder")
    logs = run_logs(path)
    if not logs:
        raise UsageError(f"no W&B run logs (run-*.wandb) under '{path}'")
    runs = [read_wandb_file(log) for log in logs]
    return sorted(runs, key=lambda r: (r.started_ts, r.identity))
