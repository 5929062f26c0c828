"""RunSummary: what every front-end shows about a run, folded from events; no I/O.

The fold (summary_fold.py) is order-independent — each field is a last-writer-wins
register ordered by the event's clock ``(ts, writer, seq)`` or a grow-only aggregate —
so the result does not depend on how events are split across segments and writers, or
in which order segments are read.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from runar.events import (
    AnyEvent,
    GitState,
    RunFinished,
    RunStarted,
    Unknown,
)
from runar.ids import EDIT_ROLE
from runar.views.anomalies import Anomaly
from runar.views.script_args import ScriptArgs, from_argv

Clock = tuple[int, str, int]
FAILURE_CHARS: Final = 40  # a failure reason in a table cell
ZERO_CLOCK: Final[Clock] = (0, "", 0)
EDITOR_PREFIX: Final = f"{EDIT_ROLE}-"  # writer ids of `runar tag/rename/note/set`
DERIVED_SOURCE: Final = "output"  # MetricsLogged.source of points read from printed output
LOWER_IS_BETTER: Final = (
    "loss",
    "err",
    "error",
    "mse",
    "mae",
    "rmse",
    "perplexity",
    "ppl",
    "wer",
    "cer",
    "time",
    "latency",
    "regret",
    "nll",
    "distance",
)


def lower_is_better(key: str) -> bool:
    """Direction of 'best' for a metric, guessed from its name (loss-like → min)."""
    name = key.lower().rsplit("/", 1)[-1]
    return any(word in name for word in LOWER_IS_BETTER)


def clock_of(event: AnyEvent | Unknown) -> Clock:
    return (event.ts, event.writer, event.seq)


class MetricSummary(msgspec.Struct, array_like=True):
    """Last, min, max and count of one metric; NaN never counts as min or max."""

    last: float
    last_step: int | None
    last_clock: Clock
    min: float | None
    max: float | None
    count: int
    derived: bool = False  # read from the printed output rather than logged by the script

    def best(self, key: str) -> float | None:
        return self.min if lower_is_better(key) else self.max


class StepSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One workflow step: a RUNNING/COMPLETED/FAILED timeline entry."""

    step_id: str
    name: str = ""
    parent: str | None = None
    status: str = "running"
    started_ts: int | None = None
    ended_ts: int | None = None
    error_type: str | None = None
    error: str | None = None
    metric_keys: list[str] = []
    artifacts: list[str] = []


class ArtifactSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    kind: str
    size: int
    sha256: str
    path: str
    ts: int
    workflow_step: str | None = None
    meta: dict[str, Any] = {}


class SystemPeak(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Highest figures seen over the run's system samples."""

    samples: int = 0
    cpu_percent: float = 0.0
    rss_bytes: int = 0
    gpu_util_percent: float | None = None
    gpu_mem_used: int | None = None
    gpu_count: int = 0


class WriterInfo(msgspec.Struct, array_like=True):
    role: str
    host: str
    pid: int


class Register(msgspec.Struct, array_like=True):
    """A last-writer-wins value."""

    clock: Clock
    value: Any


class RunSummary(msgspec.Struct, kw_only=True):
    """Everything the views know about one run."""

    run_id: str
    name: Register | None = None
    started: RunStarted | None = None
    finished: RunFinished | None = None
    first_ts: int = 0
    last_ts: int = 0  # the run's own latest event; edits made afterwards are not counted
    edited_ts: int = 0  # the latest edit (runar tag, rename, note, set), if any
    config: dict[str, Register] = {}
    tags: dict[str, Register] = {}
    notes: list[tuple[int, str]] = []
    metrics: dict[str, MetricSummary] = {}
    summary_values: dict[str, Register] = {}
    steps: dict[str, StepSummary] = {}
    artifacts: dict[str, ArtifactSummary] = {}
    system: SystemPeak = msgspec.field(default_factory=SystemPeak)
    writers: dict[str, WriterInfo] = {}
    events: int = 0
    unknown_events: int = 0
    output_bytes: int = 0
    corrupt: int = 0
    duplicates: int = 0
    script_args: ScriptArgs | None = None  # parsed once from started.argv; absent in old indexes
    writer_name: Register | None = None  # from segment headers: a name when RunStarted is lost
    project_set: Register | None = None  # ProjectSet: `runar set RUN project=NAME`, init(project=)
    anomalies: list[Anomaly] = []  # folded by views/anomaly_watch.py; read anomalies_of()

    # -- derived fields: what front-ends read ------------------------------------
    @property
    def display_name(self) -> str:
        if self.name is not None and self.name.value:
            return str(self.name.value)
        if self.started is not None and self.started.name:
            return self.started.name
        if self.writer_name is not None:  # only when the naming events were lost
            return str(self.writer_name.value)
        return ""

    @property
    def project(self) -> str | None:
        """The run's project: the latest ProjectSet, else RunStarted's; None for older runs."""
        if self.project_set is not None and self.project_set.value:
            return str(self.project_set.value)
        return self.started.project if self.started is not None else None

    @property
    def sweep(self) -> str | None:
        """The name of the sweep this run is a point of (`runar sweep`), if any."""
        return self.started.sweep if self.started is not None else None

    @property
    def is_sweep_record(self) -> bool:
        """A `runar sweep`'s own record (its space and points), not a training run."""
        return self.started is not None and self.started.source == "sweep"

    @property
    def recorded_status(self) -> str:
        """Status as written in the log; see views.liveness for crash inference."""
        return self.finished.status if self.finished is not None else "running"

    @property
    def created_ts(self) -> int:
        return self.started.ts if self.started is not None else self.first_ts

    @property
    def ended_ts(self) -> int | None:
        return self.finished.ts if self.finished is not None else None

    def failure(self, width: int = FAILURE_CHARS) -> str | None:
        """Why a failed run failed, short enough for a table cell; None for other runs."""
        finished = self.finished
        if finished is None or finished.status != "failed":
            return None
        if finished.error_type:
            return finished.error_type
        if finished.error:
            line = " ".join(finished.error.split())
            return line if len(line) <= width else line[: width - 1] + "…"
        return f"exit code {finished.exit_code}" if finished.exit_code is not None else None

    @property
    def git(self) -> GitState | None:
        return self.started.git if self.started is not None else None

    def arguments(self) -> ScriptArgs:
        """The script's command-line arguments, as typed and read as config."""
        if self.script_args is not None:
            return self.script_args
        return from_argv(self.started.argv) if self.started is not None else ScriptArgs()

    def config_values(self) -> dict[str, Any]:
        """Flattened config, dotted keys: the command-line arguments, config() over them."""
        parsed = self.arguments()
        merged: dict[str, Any] = dict(parsed.config)
        if parsed.positional:
            merged["args"] = list(parsed.positional)
        merged.update((k, r.value) for k, r in self.config.items())  # config() wins
        return dict(sorted(merged.items()))

    def config_nested(self) -> dict[str, Any]:
        nested: dict[str, Any] = {}
        for key, value in self.config_values().items():
            node = nested
            parts = key.split(".")
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    child = node[part] = {"": child}
                node = child
            node[parts[-1]] = value
        return nested

    def tag_list(self) -> list[str]:
        return sorted(t for t, reg in self.tags.items() if reg.value)

    def last_metrics(self) -> dict[str, float]:
        values = {k: m.last for k, m in self.metrics.items()}
        values.update({k: float(r.value) for k, r in self.summary_values.items()})
        return values


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts → dotted keys; other values kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat
