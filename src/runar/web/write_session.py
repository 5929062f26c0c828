"""The write API's state: one journal writer per (token, run), what it knows of each run
and a request budget per token.

Writers stay open while clients keep writing (one segment per token and run, not one
per request) and are closed, which seals their segment, after ``WRITER_IDLE_S`` without
a write and when the server stops. Their role is ``http:<token name>``, so every event
they append is attributed: its writer's header names the token.

Idempotency-Key replies are remembered by write_replies.py.
"""

from __future__ import annotations

import errno
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from runar.events import ProjectSet, RunFinished, RunStarted, StepFinished, StepStarted
from runar.ids import short
from runar.journal import JournalWriter
from runar.journal.reader import read_segment
from runar.journal.segment import list_segments

WRITER_IDLE_S: Final = 300.0
SWEEP_INTERVAL_S: Final = 30.0
RATE_PER_S: Final = 2_000.0  # requests per second and token, sustained
RATE_BURST: Final = 4_000.0
HTTP_ROLE: Final = "http"


def role_for(token_name: str) -> str:
    return f"{HTTP_ROLE}:{token_name}"


@dataclass
class RunFacts:
    """What the server knows of one run: its project, steps and whether it finished."""

    project: str | None = None
    project_clock: tuple[int, str, int] = (-1, "", 0)
    steps: dict[str, str] = field(default_factory=dict)  # step id → running|completed|failed
    finished: bool = False
    started: bool = False
    # how far each segment of other writers was read: segment key → (sealed, size, end)
    read_to: dict[str, tuple[bool, int, int]] = field(default_factory=dict)

    def fold(self, event: object) -> None:
        match event:
            case RunStarted(project=project):
                self.started = True
                if project and self.project_clock[0] < 0:
                    self.project = project
            case ProjectSet(project=project, ts=ts, writer=writer, seq=seq):
                if (ts, writer, seq) > self.project_clock:
                    self.project, self.project_clock = project, (ts, writer, seq)
            case StepStarted(step_id=step_id):
                self.steps.setdefault(step_id, "running")
            case StepFinished(step_id=step_id, status=status):
                self.steps[step_id] = status
            case RunFinished():
                self.finished = True


def read_facts(run_dir: Path, own: frozenset[str] | set[str] = frozenset()) -> RunFacts:
    """The facts of a run, from its whole log (once per run and server)."""
    facts = RunFacts()
    catch_up_facts(facts, run_dir, own)
    return facts


def catch_up_facts(facts: RunFacts, run_dir: Path, own: frozenset[str] | set[str]) -> None:
    """Fold what other writers appended since the last look: ``runar set project=``, a
    runner's end, a sync from another machine. A listing when nothing changed; this
    server's own segments are skipped (``append`` folds its events as it writes them).

    Folding is idempotent (a set of steps, the latest project by clock), so an event seen
    twice, in a plain segment and again in its sealed twin, changes nothing.
    """
    for seg in list_segments(run_dir):
        if seg.writer in own:
            continue
        known = facts.read_to.get(seg.key)
        if known is not None and known[:2] == (seg.sealed, seg.size):
            continue
        got = read_segment(seg, known[2] if known is not None else 0)
        for event in got.events:
            facts.fold(event)
        facts.read_to[seg.key] = (seg.sealed, seg.size, got.end)


class RunDeletedError(OSError):
    """The run's folder vanished under an open writer: ``runar rm`` deleted the run."""


class HttpWriter(JournalWriter):
    """A JournalWriter that never brings back a run deleted while it was writing.

    The SDK's writer recreates a vanished run folder so that a training process loses
    nothing. The server writes for clients instead, and a folder gone from under it means
    ``runar rm --force``: recreating it would bring back a fragment of the deleted run.
    """

    _made_folder = False

    def _open_segment(self) -> None:
        if self._made_folder and not self.run_dir.is_dir():
            raise RunDeletedError(errno.ENOENT, "the run was deleted", str(self.run_dir))
        super()._open_segment()
        self._made_folder = True


class Writers:
    """Open journal writers, one per (token name, run id), closed when idle."""

    def __init__(self, runs_dir: Path, idle_s: float = WRITER_IDLE_S) -> None:
        self.runs_dir = runs_dir
        self.idle_s = idle_s
        self._open: dict[tuple[str, str], tuple[JournalWriter, float]] = {}
        self._lock = threading.Lock()
        self.own: set[str] = set()  # every writer id this server opened, closed ones too
        self.deleted: set[str] = set()  # runs deleted under an open writer, said once each

    def get(self, token_name: str, run_id: str) -> JournalWriter:
        key = (token_name, run_id)
        with self._lock:
            found = self._open.get(key)
            writer = found[0] if found is not None else None
            if writer is None:
                writer = HttpWriter(
                    self.runs_dir / run_id,
                    run_id,
                    role=role_for(token_name),
                    on_error=lambda exc: self._trouble(key, exc),
                )
                self.own.add(writer.writer_id)
            self._open[key] = (writer, time.monotonic())
            return writer

    def close(self, token_name: str, run_id: str) -> None:
        with self._lock:
            found = self._open.pop((token_name, run_id), None)
        if found is not None:
            found[0].close()

    def sweep(self) -> int:
        """Close the writers idle for longer than ``idle_s``; how many were closed."""
        cutoff = time.monotonic() - self.idle_s
        with self._lock:
            idle = [k for k, (_, used) in self._open.items() if used < cutoff]
            closing = [self._open.pop(k)[0] for k in idle]
        for writer in closing:
            writer.close()
        return len(closing)

    def close_all(self) -> None:
        with self._lock:
            closing = [w for w, _ in self._open.values()]
            self._open.clear()
        for writer in closing:
            writer.close()

    def __len__(self) -> int:
        return len(self._open)

    def _trouble(self, key: tuple[str, str], exc: OSError) -> None:
        """Called by a writer (in its flush thread) at the first error of an episode."""
        run_id = key[1]
        if isinstance(exc, RunDeletedError) or not (self.runs_dir / run_id).is_dir():
            with self._lock:
                if run_id in self.deleted:
                    return  # several tokens wrote it: one line is enough
                self.deleted.add(run_id)
                dropped = [self._open.pop(k)[0] for k in list(self._open) if k[1] == run_id]
            for writer in dropped:  # not here: this is the writer's own flush thread
                threading.Thread(target=writer.close, name="runar-drop", daemon=True).start()
            print(
                f"runar serve: run {short(run_id)} was deleted while this server wrote it; "
                "its writes since the deletion are dropped",
                file=sys.stderr,
            )
            return
        # the writer keeps the events and retries; the operator should know why
        print(
            f"runar serve: cannot write the log of run {short(run_id)} "
            f"({exc.strerror or exc}); its events wait in memory and are retried",
            file=sys.stderr,
        )


class RateLimit:
    """A token bucket per API token: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = RATE_BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # name → (tokens, at)

    def take(self, name: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before a retry."""
        now = time.monotonic()
        tokens, at = self._buckets.get(name, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[name] = (tokens - 1.0, now)
            return 0.0
        self._buckets[name] = (tokens, now)
        return (1.0 - tokens) / self.rate
