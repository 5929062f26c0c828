"""MLflow stores read directly, no mlflow installed: an ``mlruns/`` folder or an ``mlflow.db``.

What becomes what::

    params                 config (typed: "0.001" → 0.001, "3" → 3, "True" → True)
    metrics                metrics: each (timestamp, step) one event at that wall time
    experiment             config _mlflow.experiment (as runar.compat.mlflow records it)
    tags                   runar tags "key:value"; mlflow.runName → the name,
                           mlflow.note.content → a note, mlflow.source.git.commit → git,
                           mlflow.parentRunId → parent_run; other mlflow.* tags are dropped
    status                 FINISHED → completed, FAILED → failed, KILLED → killed;
                           RUNNING/SCHEDULED (never ended) → crashed
    artifacts/             copied (file store: the run folder's own; SQLite: artifact_uri,
                           else the same path under the database's folder)
    deleted runs and experiments are skipped, as mlflow's UI hides them.

The run id comes from mlflow's run id, so the same run read from a folder and from a
database migrated from it lands once.
"""

from __future__ import annotations

import math
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlparse

from runar.errors import UsageError
from runar.events import FinalStatus
from runar.importers.meta_yaml import read_meta
from runar.importers.source_run import Metric, SourceRun

MS: Final = 1_000_000  # ns per ms
DEFAULT_EXPERIMENT: Final = "Default"  # mlflow's experiment 0, where runs land unless told
STATUS: Final[dict[str, FinalStatus]] = {
    "FINISHED": "completed",
    "FAILED": "failed",
    "KILLED": "killed",
    "RUNNING": "crashed",
    "SCHEDULED": "crashed",
}
FILE_STORE_STATUS: Final = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
# mlflow's SQL store writes ±inf as ±max double (its column cannot hold inf); undo that
SQL_INF: Final = sys.float_info.max
MLFLOW_PREFIX: Final = "mlflow."
MAX_TAG_VALUE_CHARS: Final = 200


def typed(text: str) -> Any:
    """A param as the value it spells: mlflow keeps every param as text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def group_metrics(rows: Iterable[tuple[str, float, int, int]]) -> list[Metric]:
    """(key, value, timestamp ms, step) rows → one Metric per (timestamp, step)."""
    grouped: dict[tuple[int, int], list[dict[str, float]]] = {}
    for key, value, ts, step in rows:
        slots = grouped.setdefault((ts, step), [])
        slot = next((s for s in slots if key not in s), None)
        if slot is None:
            slot = {}
            slots.append(slot)
        slot[key] = value
    return [
        Metric(ts * MS, step, values)
        for (ts, step), slots in sorted(grouped.items())
        for values in slots
    ]


def _apply_tags(run: SourceRun, tags: dict[str, str]) -> None:
    run.name = tags.get("mlflow.runName") or run.name
    if tags.get("mlflow.note.content"):
        run.notes.append(tags["mlflow.note.content"])
    run.git_commit = tags.get("mlflow.source.git.commit")
    if tags.get("mlflow.parentRunId"):
        run.parent_identity = f"mlflow:{tags['mlflow.parentRunId']}"
    run.user = tags.get("mlflow.user") or run.user
    if tags.get("mlflow.source.name"):
        run.command = [tags["mlflow.source.name"]]
    for key, value in sorted(tags.items()):
        if key.startswith(MLFLOW_PREFIX):
            continue
        # as runar.compat.mlflow records set_tag: a label when it fits one, else a note
        if len(value) > MAX_TAG_VALUE_CHARS or any(c in value for c in "\n\r\t\x00"):
            run.notes.append(f"{key}: {value}")
        else:
            run.tags.append(f"{key}:{value}" if value else key)


def _local_path(uri: str | None) -> Path | None:
    """A local folder named by an artifact URI (file:… or a plain path); None otherwise."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return None


def _artifacts(folder: Path | None) -> list[tuple[str, Path]]:
    if folder is None or not folder.is_dir():
        return []
    return [(entry.name, entry) for entry in sorted(folder.iterdir())]


def _new_run(
    run_id: str, location: str, experiment: str, name: str | None, start: int, end: int | None
) -> SourceRun:
    return SourceRun(
        kind="mlflow",
        identity=f"mlflow:{run_id}",
        location=location,
        name=name,
        started_ts=start * MS,
        ended_ts=(end or start) * MS,
        config={"_mlflow": {"experiment": experiment}},
        tags=["mlflow"],
        # mlflow's catch-all "Default" experiment says nothing: the usual rule applies
        project=experiment if experiment and experiment != DEFAULT_EXPERIMENT else None,
    )


# -- the file store -------------------------------------------------------------------


def _read_values(folder: Path) -> dict[str, str]:
    """Files under params/ or tags/: a key with '/' is a subfolder."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _read_metric_files(folder: Path, skipped: list[str]) -> list[Metric]:
    """metrics/<key>: lines "timestamp value step" (older mlflow wrote no step)."""
    rows: list[tuple[str, float, int, int]] = []
    if not folder.is_dir():
        return []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = path.relative_to(folder).as_posix()
        bad = 0
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if not parts:
                continue
            try:
                if len(parts) not in (2, 3):
                    raise ValueError(line)
                ts, value = int(parts[0]), float(parts[1])
                step = int(parts[2]) if len(parts) == 3 else 0
            except ValueError:
                bad += 1
                continue
            rows.append((key, value, ts, step))
        if bad:
            skipped.append(f"{bad} unreadable line(s) in metrics/{key}")
    return group_metrics(rows)


def _file_store_run(folder: Path, experiment: str) -> SourceRun | None:
    meta = read_meta(folder / "meta.yaml")
    if meta.get("lifecycle_stage") == "deleted":
        return None
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or folder.name)
    start = int(meta.get("start_time") or 0)
    end = meta.get("end_time")
    run = _new_run(
        run_id, str(folder), experiment, meta.get("run_name") or None, start, end and int(end)
    )
    run.user = str(meta.get("user_id") or "")
    status = meta.get("status")
    name = FILE_STORE_STATUS.get(status, str(status)) if isinstance(status, int) else str(status)
    run.status = STATUS.get(name, "completed")
    run.config |= {k: typed(v) for k, v in _read_values(folder / "params").items()}
    run.metrics = _read_metric_files(folder / "metrics", run.skipped)
    _apply_tags(run, _read_values(folder / "tags"))
    run.artifacts = _artifacts(folder / "artifacts")
    return run


def read_file_store(root: Path) -> list[SourceRun]:
    """Every live run of an ``mlruns/`` folder (experiments in .trash are deleted ones)."""
    runs = []
    for exp_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta_path = exp_dir / "meta.yaml"
        if not meta_path.is_file():
            continue  # models/ and other non-experiment folders
        exp = read_meta(meta_path)
        if exp.get("lifecycle_stage") == "deleted":
            continue
        experiment = str(exp.get("name") or exp_dir.name)
        for run_dir in sorted(p for p in exp_dir.iterdir() if (p / "meta.yaml").is_file()):
            try:
                run = _file_store_run(run_dir, experiment)
            except (OSError, ValueError) as exc:
                raise UsageError(f"cannot read the mlflow run {run_dir}: {exc}") from exc
            if run is not None:
                runs.append(run)
    return sorted(runs, key=lambda r: (r.started_ts, r.identity))


# -- the SQLite store -----------------------------------------------------------------


def _sql_value(value: float, is_nan: int | None) -> float:
    if is_nan:
        return math.nan
    if abs(value) == SQL_INF:
        return math.copysign(math.inf, value)
    return float(value)


def _db_artifacts(uri: str | None, db: Path) -> list[tuple[str, Path]]:
    """The run's artifacts where artifact_uri says, else the same tail beside the database."""
    path = _local_path(uri)
    if path is None:
        return []
    if path.is_dir():
        return _artifacts(path)
    parts = path.parts
    # a database copied from elsewhere: find <root>/.../<run_id>/artifacts under its folder
    for cut in range(1, len(parts)):
        candidate = db.parent.joinpath(*parts[cut:])
        if candidate.is_dir():
            return _artifacts(candidate)
    return []


def read_database(db: Path) -> list[SourceRun]:
    """Every live run of an mlflow SQLite database, read with the standard library."""
    uri = f"file:{db}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            return _read_tables(con, db)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise UsageError(
            f"cannot read '{db}' as an mlflow database ({exc}); check the file, or import "
            f"a copy that `sqlite3 {db.name} .recover` salvaged"
        ) from exc


def _rows_by_run(con: sqlite3.Connection, query: str) -> dict[str, list[tuple[Any, ...]]]:
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in con.execute(query):
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def _read_tables(con: sqlite3.Connection, db: Path) -> list[SourceRun]:
    experiments = {
        row[0]: (row[1], row[2])
        for row in con.execute("SELECT experiment_id, name, lifecycle_stage FROM experiments")
    }
    params = _rows_by_run(con, "SELECT run_uuid, key, value FROM params")
    tags = _rows_by_run(con, "SELECT run_uuid, key, value FROM tags")
    metrics = _rows_by_run(con, "SELECT run_uuid, key, value, timestamp, step, is_nan FROM metrics")
    latest = _rows_by_run(
        con, "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics"
    )
    runs = []
    query = (
        "SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, "
        "artifact_uri, experiment_id FROM runs ORDER BY start_time, run_uuid"
    )
    for run_uuid, name, user, status, start, end, stage, artifact_uri, exp_id in con.execute(query):
        exp_name, exp_stage = experiments.get(exp_id, (str(exp_id), "active"))
        if stage == "deleted" or exp_stage == "deleted":
            continue
        run = _new_run(run_uuid, f"{db}#{run_uuid}", exp_name, name or None, start or 0, end)
        run.user = user or ""
        run.status = STATUS.get(str(status), "completed")
        run.config |= {key: typed(value) for key, value in params.get(run_uuid, [])}
        # latest_metrics only fills in keys whose history is gone (a pruned database)
        rows = metrics.get(run_uuid, [])
        have = {row[0] for row in rows}
        rows += [row for row in latest.get(run_uuid, []) if row[0] not in have]
        run.metrics = group_metrics(
            (key, _sql_value(value, is_nan), ts, step) for key, value, ts, step, is_nan in rows
        )
        _apply_tags(run, {key: value for key, value in tags.get(run_uuid, [])})
        run.artifacts = _db_artifacts(artifact_uri, db)
        runs.append(run)
    return runs


def read_mlflow(path: Path) -> list[SourceRun]:
    """The runs of an ``mlruns/`` folder (or its parent) or of an ``mlflow.db`` file."""
    path = Path(path).expanduser().absolute()
    if path.is_file():
        return read_database(path)
    if path.is_dir() and not any((p / "meta.yaml").is_file() for p in path.iterdir()):
        for inner in (path / "mlruns", path / "mlflow.db"):
            if inner.exists():
                return read_mlflow(inner)
    if not path.is_dir():
        raise UsageError(f"no such file or folder '{path}'; give an mlruns/ folder or mlflow.db")
    runs = read_file_store(path)
    if not runs and not any((p / "meta.yaml").is_file() for p in path.iterdir()):
        raise UsageError(f"'{path}' is not an mlflow store; give an mlruns/ folder or mlflow.db")
    return runs
