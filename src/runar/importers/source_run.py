"""A run read from another tool, and how it lands in the store: once, whole, with its own times.

Every reader (tensorboard, mlflow, wandb) turns what it found into a ``SourceRun``;
``land()`` writes it through a JournalWriter of role ``import``. The run id is derived
from the source's identity (an mlflow run id, a TensorBoard event file's name and first
bytes), so importing the same thing twice finds the run already there and adds nothing,
wherever the source was copied to in between. The run is written into a hidden folder
and renamed into ``runs/`` once closed, so an interrupted import leaves no half run
that a later import would take for done.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from runar.events import (
    ArtifactAttached,
    ConfigSet,
    FinalStatus,
    GitState,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunStarted,
    SummarySet,
    TagsChanged,
)
from runar.ids import ALPHABET, RUN_ID_CHARS
from runar.journal import JournalWriter
from runar.store import Store

WRITER_ROLE: Final = "import"
TMP_PREFIX: Final = ".import-"  # not shaped like a run id: readers and sync ignore it
Outcome = Literal["imported", "exists", "deleted", "empty"]


def run_id_for(identity: str) -> str:
    """The runar run id of a source run: the same identity always gives the same id."""
    bits = int.from_bytes(hashlib.sha256(identity.encode()).digest()[:10], "big")
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RUN_ID_CHARS))


@dataclass
class Metric:
    """Values logged together at one step and one wall time (ns)."""

    ts: int
    step: int | None
    values: dict[str, float]


@dataclass
class SourceRun:
    """Everything an importer read about one run, in runar's terms."""

    kind: str  # tensorboard | mlflow | wandb
    identity: str  # stable across copies of the source; hashed into the run id
    location: str  # where it was read from, for people
    name: str | None
    started_ts: int
    ended_ts: int
    status: FinalStatus = "completed"
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    artifacts: list[tuple[str, Path]] = field(default_factory=list)  # (name, file or folder)
    user: str = ""
    command: list[str] = field(default_factory=list)
    git_commit: str | None = None
    parent_identity: str | None = None
    skipped: list[str] = field(default_factory=list)  # what was damaged, said plainly
    project: str | None = None  # the source's own grouping (mlflow experiment, W&B project)

    @property
    def run_id(self) -> str:
        return run_id_for(self.identity)


@dataclass
class RunResult:
    """What became of one source run; the CLI prints one line per result."""

    kind: str
    location: str
    run_id: str
    name: str | None
    outcome: Outcome
    metrics: int = 0  # values written
    artifacts: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "source": self.location,
            "run_id": self.run_id,
            "name": self.name,
            "outcome": self.outcome,
            "metrics": self.metrics,
            "artifacts": self.artifacts,
            "skipped": self.skipped,
        }


def _events(run: SourceRun, run_id: str) -> list[Any]:
    start, end = run.started_ts, max(run.ended_ts, run.started_ts)
    parent = run_id_for(run.parent_identity) if run.parent_identity else None
    events: list[Any] = [
        RunStarted(
            run_id=run_id,
            name=run.name,
            source="import",
            command=run.command,
            user=run.user,
            git=GitState(commit=run.git_commit) if run.git_commit else None,
            parse_output=False,
            parent_run=parent,
            project=run.project,
            ts=start,
        ),
        NoteAdded(text=f"imported from {run.kind}: {run.location}", ts=start),
    ]
    events += [NoteAdded(text=note, ts=start) for note in run.notes]
    if run.config:
        events.append(ConfigSet(values=run.config, ts=start))
    if run.tags:
        events.append(TagsChanged(added=list(dict.fromkeys(run.tags)), ts=start))
    events += [MetricsLogged(values=m.values, step=m.step, ts=m.ts) for m in run.metrics]
    if run.summary:
        events.append(SummarySet(values=run.summary, ts=end))
    return events


def _copy_artifacts(run: SourceRun, folder: Path) -> list[ArtifactAttached]:
    from runar.sdk.artifacts import store_artifact

    attached = []
    for name, path in run.artifacts:
        stored = store_artifact(folder / "artifacts", name, path)
        if stored is not None:
            attached.append(ArtifactAttached(**stored.fields(), ts=run.ended_ts))
    return attached


def land(store: Store, run: SourceRun) -> RunResult:
    """Write ``run`` into ``store`` unless it is there already (or was deleted for good)."""
    run_id = run.run_id
    result = RunResult(run.kind, run.location, run_id, run.name, "imported", skipped=run.skipped)
    if run_id in store.tombstones():
        result.outcome = "deleted"
        return result
    final = store.run_dir(run_id)
    if final.exists():
        result.outcome = "exists"
        return result
    if not run.metrics and not run.config and not run.artifacts and not run.summary:
        result.outcome = "empty"
        return result
    store.create()
    tmp = store.runs_dir / f"{TMP_PREFIX}{run_id}"
    shutil.rmtree(tmp, ignore_errors=True)  # what an interrupted import left
    errors: list[OSError] = []
    writer = JournalWriter(tmp, run_id, role=WRITER_ROLE, on_error=errors.append)
    try:
        for event in _events(run, run_id):
            writer.append(event)
        attached = _copy_artifacts(run, tmp)
        for event in attached:
            writer.append(event)
        writer.append(
            RunFinished(status=run.status, error=run.error, ts=max(run.ended_ts, run.started_ts))
        )
    finally:
        writer.close()
    if errors:
        shutil.rmtree(tmp, ignore_errors=True)
        from runar.errors import StoreError

        raise StoreError(f"cannot write the imported run into {store.root}: {errors[0]}")
    try:
        os.rename(tmp, final)
    except OSError:  # another import of the same source won the race
        shutil.rmtree(tmp, ignore_errors=True)
        result.outcome = "exists"
        return result
    result.metrics = sum(len(m.values) for m in run.metrics)
    result.artifacts = len(attached)
    return result
