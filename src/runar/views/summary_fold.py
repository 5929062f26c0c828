"""The fold: one event applied to a RunSummary in place; pure, no I/O.

Order-independent by construction (views/summary.py says how): registers keep the
value with the latest clock, aggregates only grow, lists are kept sorted.
"""

from __future__ import annotations

import math
from bisect import insort
from typing import Any, Final

from runar.events import (
    AnyEvent,
    ArtifactAttached,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    ProjectSet,
    RunFinished,
    RunRenamed,
    RunStarted,
    StepFinished,
    StepStarted,
    SummarySet,
    SystemSampled,
    TagsChanged,
    Unknown,
    WriterOpened,
)
from runar.views.script_args import from_argv
from runar.views.summary import (
    DERIVED_SOURCE,
    EDITOR_PREFIX,
    ArtifactSummary,
    Clock,
    MetricSummary,
    Register,
    RunSummary,
    StepSummary,
    SystemPeak,
    WriterInfo,
    clock_of,
    flatten,
)

_INDEX_INTS: Final = range(-(2**63), 2**64)  # what the index's msgpack encoding can hold


def storable(value: Any) -> Any:
    """``value`` with every integer beyond 64 bits as its digits: the index could not store
    it (a ``seed`` of 10**30 made every later ``runar ls`` fail); the log keeps the number."""
    if type(value) is int and value not in _INDEX_INTS:
        return str(value)
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {key: storable(item) for key, item in value.items()}
    return value


def _set(registers: dict[str, Register], key: str, clock: Clock, value: Any) -> None:
    current = registers.get(key)
    if current is None or tuple(current.clock) < clock:
        registers[key] = Register(clock, value)


def _fold_metrics(summary: RunSummary, event: MetricsLogged, clock: Clock) -> None:
    metrics = summary.metrics
    derived = event.source == DERIVED_SOURCE
    for key, value in event.values.items():
        m = metrics.get(key)
        if m is not None and m.derived != derived:
            # A key the script logs itself is that curve; what its printed lines said of
            # the same key (a progress bar, a trainer's dict) would interleave a second,
            # differently stepped series. Whichever arrives first, the logged one stays.
            if derived:
                continue
            m = None
        finite = not math.isnan(value)
        if m is None:
            metrics[key] = MetricSummary(
                value,
                event.step,
                clock,
                value if finite else None,
                value if finite else None,
                1,
                derived,
            )
            continue
        m.count += 1
        if tuple(m.last_clock) < clock:
            m.last, m.last_step, m.last_clock = value, event.step, clock
        if finite:
            if m.min is None or value < m.min:
                m.min = value
            if m.max is None or value > m.max:
                m.max = value
    if event.workflow_step:
        step = summary.steps.setdefault(
            event.workflow_step, StepSummary(step_id=event.workflow_step)
        )
        for key in event.values:
            if key not in step.metric_keys:
                insort(step.metric_keys, key)  # sorted, so the fold stays order-independent


def _fold_step(summary: RunSummary, event: StepStarted | StepFinished) -> None:
    step = summary.steps.setdefault(event.step_id, StepSummary(step_id=event.step_id))
    if isinstance(event, StepStarted):
        step.name, step.parent, step.started_ts = event.name, event.parent, event.ts
    else:
        step.status, step.ended_ts = event.status, event.ts
        step.error_type, step.error = event.error_type, event.error


def _fold_system(peak: SystemPeak, event: SystemSampled) -> None:
    peak.samples += 1
    peak.cpu_percent = max(peak.cpu_percent, event.cpu_percent)
    peak.rss_bytes = max(peak.rss_bytes, event.rss_bytes)
    if event.gpus:
        peak.gpu_count = max(peak.gpu_count, len(event.gpus))
        for gpu in event.gpus:
            if gpu.util_percent is not None:
                peak.gpu_util_percent = max(peak.gpu_util_percent or 0.0, gpu.util_percent)
            if gpu.mem_used is not None:
                peak.gpu_mem_used = max(peak.gpu_mem_used or 0, gpu.mem_used)


def fold(summary: RunSummary, event: AnyEvent | Unknown) -> None:
    """Apply one event to a summary in place."""
    clock = clock_of(event)
    summary.events += 1
    # an edit made afterwards (runar tag, rename, note, set) is not activity of the run: it
    # must neither stretch its duration nor make a crashed run look alive again
    if event.writer.startswith(EDITOR_PREFIX):
        summary.edited_ts = max(summary.edited_ts, event.ts)
    elif event.ts:
        summary.first_ts = event.ts if not summary.first_ts else min(summary.first_ts, event.ts)
        summary.last_ts = max(summary.last_ts, event.ts)
    match event:
        case MetricsLogged():
            _fold_metrics(summary, event, clock)
        case OutputCaptured(text=text, data=data):
            summary.output_bytes += len(text.encode()) if text is not None else len(data or b"")
        case SystemSampled():
            _fold_system(summary.system, event)
        case StepStarted() | StepFinished():
            _fold_step(summary, event)
        case RunStarted():
            if summary.started is None or clock_of(summary.started) > clock:
                summary.started = event  # the first start is the run's start
                summary.script_args = from_argv(event.argv)
        case RunFinished():
            if summary.finished is None or clock_of(summary.finished) < clock:
                summary.finished = event
        case RunRenamed(name=name):
            if summary.name is None or tuple(summary.name.clock) < clock:
                summary.name = Register(clock, name)
        case ProjectSet(project=project):
            if summary.project_set is None or tuple(summary.project_set.clock) < clock:
                summary.project_set = Register(clock, project)
        case ConfigSet(values=values):
            for key, value in flatten(values).items():
                _set(summary.config, key, clock, storable(value))
        case TagsChanged(added=added, removed=removed):
            for tag in added:
                _set(summary.tags, tag, clock, True)
            for tag in removed:
                _set(summary.tags, tag, clock, False)
        case NoteAdded(text=text):
            summary.notes.append((event.ts, text))
            summary.notes.sort()
        case SummarySet(values=values):
            for key, value in values.items():
                _set(summary.summary_values, key, clock, storable(value))
        case ArtifactAttached():
            current = summary.artifacts.get(event.name)
            if current is None or current.ts <= event.ts:
                summary.artifacts[event.name] = ArtifactSummary(
                    name=event.name,
                    kind=event.kind,
                    size=event.size,
                    sha256=event.sha256,
                    path=event.path,
                    ts=event.ts,
                    workflow_step=event.workflow_step,
                    meta=storable(event.meta),
                )
            if event.workflow_step:
                step = summary.steps.setdefault(
                    event.workflow_step, StepSummary(step_id=event.workflow_step)
                )
                if event.name not in step.artifacts:
                    insort(step.artifacts, event.name)
        case WriterOpened(role=role, host=host, pid=pid, run_name=run_name):
            summary.writers[event.writer] = WriterInfo(role, host, pid)
            known = summary.writer_name
            if run_name and (known is None or tuple(known.clock) < clock):
                summary.writer_name = Register(clock, run_name)
        case Unknown():
            summary.unknown_events += 1  # written by a newer runar: counted, never fatal
        case _:
            pass
