"""The Event tagged union: every fact runar records, as plain msgspec Structs.

Events are acyclic plain data, so they opt out of the garbage collector (``gc=False``):
decoding a segment then allocates nothing the collector must later walk.

Every event carries an envelope — ``writer`` (who wrote it), ``seq`` (that writer's
counter, starting at 1) and ``ts`` (wall clock, ns) — and ``(writer, seq)`` is unique
across all stores. Rules for evolving this file: new fields get defaults and go last;
a tag is never reused for a different meaning. Readers turn events they do not know
into ``Unknown`` (see codec.py) and keep going.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

FORMAT_VERSION = 1

RunStatus = Literal["running", "completed", "failed", "killed", "crashed"]
FinalStatus = Literal["completed", "failed", "killed", "crashed"]
StepStatus = Literal["running", "completed", "failed"]
Stream = Literal["stdout", "stderr"]


class Event(msgspec.Struct, tag_field="type", kw_only=True, omit_defaults=True, array_like=False):
    """Envelope shared by all events; filled in by the journal writer."""

    writer: str = ""
    seq: int = 0
    ts: int = 0


class WriterOpened(Event, tag="writer"):
    """First event of every segment: who writes it, from where, in which format."""

    run_id: str
    role: str
    host: str
    pid: int
    segment: int = 0
    format: int = FORMAT_VERSION
    runar_version: str = ""
    # the run's name as this writer knows it: a run whose RunStarted was lost keeps it
    run_name: str | None = None


class GitState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where the code came from; ``snapshot`` names an exact copy of a dirty tree.

    ``snapshot_dir`` (``code``) is that copy kept in the run's folder, so it travels
    with the store; ``snapshot`` is the same tree as a commit object in the user's repo.
    """

    commit: str | None = None
    branch: str | None = None
    dirty: bool = False
    remote: str | None = None
    snapshot: str | None = None
    root: str | None = None
    snapshot_dir: str | None = None  # relative to the run folder: the store's own copy
    untracked: list[str] = []  # untracked files the snapshot holds


class RunStarted(Event, tag="run_started"):
    """A run began; carries what is needed to reproduce it."""

    run_id: str
    name: str | None = None
    source: str = "sdk"
    argv: list[str] = []
    command: list[str] = []
    cwd: str = ""
    host: str = ""
    pid: int = 0
    user: str = ""
    python: str = ""
    executable: str = ""
    platform: str = ""
    git: GitState | None = None
    env: dict[str, str] = {}
    packages: dict[str, str] = {}
    parse_output: bool = True
    parent_run: str | None = None  # the runner's run, for a Run() opened inside it
    rerun_of: str | None = None  # `runar rerun`: the run whose code and command this re-ran
    project: str | None = None  # -p/--project, RUNAR_PROJECT, else the git repo's or store's name
    sweep: str | None = None  # `runar sweep`: the sweep's name (`--where sweep:NAME`)
    sweep_id: str | None = None  # the sweep's own record: runs/<sweep_id>/, source "sweep"
    sweep_point: int | None = None  # this run's point (0-based) in that sweep
    rerun_set: dict[str, str] = {}  # `runar rerun --set`: the intended variations (redacted)


class RunRenamed(Event, tag="run_renamed"):
    """The run got a (new) display name."""

    name: str


class ProjectSet(Event, tag="project"):
    """The run belongs to this project from now on (`runar set RUN project=NAME`)."""

    project: str


class RunFinished(Event, tag="run_finished"):
    """A run ended; ``signal`` is set when a signal killed it."""

    status: FinalStatus
    exit_code: int | None = None
    signal: int | None = None
    error: str | None = None  # one line: "ValueError: bad shape" or the runner's reason
    error_type: str | None = None  # the exception's class name, e.g. "ValueError"
    traceback: str | None = None  # the last lines of the traceback, newest call last


class StepStarted(Event, tag="step_started"):
    """A named workflow step began, possibly inside another one."""

    step_id: str
    name: str
    parent: str | None = None


class StepFinished(Event, tag="step_finished"):
    """A workflow step ended; a failed one carries the exception."""

    step_id: str
    status: Literal["completed", "failed"]
    error_type: str | None = None
    error: str | None = None


class MetricsLogged(Event, tag="metrics"):
    """A batch of numeric values at an optional step index (NaN and ±inf kept)."""

    values: dict[str, float]
    step: int | None = None
    workflow_step: str | None = None
    source: str | None = None


class SummarySet(Event, tag="summary"):
    """Final summary metrics of the run (e.g. what an @experiment returned)."""

    values: dict[str, float]


class ConfigSet(Event, tag="config"):
    """Hyper-parameters; nested dicts allowed, merged into earlier ones."""

    values: dict[str, Any]


class TagsChanged(Event, tag="tags"):
    """Tags added to and/or removed from the run."""

    added: list[str] = []
    removed: list[str] = []


class NoteAdded(Event, tag="note"):
    """A free-text note."""

    text: str


class ArtifactAttached(Event, tag="artifact"):
    """A file stored under the run's artifacts folder; ``path`` is relative to it."""

    name: str
    kind: str
    size: int
    sha256: str
    path: str
    workflow_step: str | None = None
    meta: dict[str, Any] = {}


class OutputCaptured(Event, tag="output"):
    """A chunk of the child's stdout/stderr; ``data`` holds it when it is not UTF-8."""

    stream: Stream
    text: str | None = None
    data: bytes | None = None

    def content(self) -> str:
        """The chunk as text, undecodable bytes shown as \\x escapes."""
        if self.text is not None:
            return self.text
        return (self.data or b"").decode("utf-8", errors="backslashreplace")


class GpuSample(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One GPU's figures at a sampling instant."""

    index: int
    name: str = ""
    util_percent: float | None = None
    mem_used: int | None = None
    mem_total: int | None = None
    power_w: float | None = None
    temp_c: float | None = None


class SystemSampled(Event, tag="system"):
    """CPU/RAM of the run's process tree and, where present, per-GPU figures."""

    cpu_percent: float
    rss_bytes: int
    ram_percent: float | None = None
    gpus: list[GpuSample] = []


class SweepPoint(Event, tag="sweep_point"):
    """A sweep's point was planned (queued), launched as a run, or ended; in the sweep's record."""

    index: int
    status: str  # queued | running | completed | failed | killed | stopped
    params: dict[str, Any] = {}  # the swept values, as passed on the command line
    args: list[str] = []  # the script's whole argument list for this point
    run_id: str | None = None


class WatchSet(Event, tag="watch"):
    """How a metric key is watched for anomalies (``runar.watch``); unset fields keep defaults.

    ``rules`` names the rules on (nonfinite, spike, divergence, plateau); ``[]`` turns the
    key off. The thresholds are views/anomalies.py's ``WatchSpec`` fields.
    """

    key: str
    mode: Literal["min", "max"] | None = None
    rules: list[str] | None = None
    thresholds: dict[str, float] = {}


class AlertRaised(Event, tag="alert"):
    """Something the script wants a person to see (``runar.alert``); shown as an anomaly."""

    title: str
    text: str = ""
    level: Literal["info", "warn", "error"] = "warn"
    step: int | None = None


class MetricsColumns(Event, tag="metric_cols"):
    """Consecutive MetricsLogged events of one writer with the same keys, as columns.

    Written by the block encoder (codec.py) for a run of such events in one batch; every
    reader turns it back into those events. Event ``i`` has seq ``seq + i``, ts
    ``stamps[i]``, step ``steps[i]`` and value ``columns[k][i]`` for ``keys[k]``.
    """

    stamps: list[int]
    steps: list[int | None]
    keys: list[str]
    columns: list[list[float]]
    workflow_step: str | None = None
    source: str | None = None


class Unknown(msgspec.Struct, kw_only=True):
    """An event this runar does not understand (newer type or damaged shape); kept raw."""

    raw: dict[str, Any]
    writer: str = ""
    seq: int = 0
    ts: int = 0


AnyEvent = (
    WriterOpened
    | RunStarted
    | RunRenamed
    | RunFinished
    | StepStarted
    | StepFinished
    | MetricsLogged
    | SummarySet
    | ConfigSet
    | TagsChanged
    | NoteAdded
    | ArtifactAttached
    | OutputCaptured
    | SystemSampled
    | ProjectSet
    | SweepPoint
    | WatchSet
    | AlertRaised
)
