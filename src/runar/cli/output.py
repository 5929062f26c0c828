"""`runar logs` and `runar replay`: a run's captured output and its story, from the raw log."""

from __future__ import annotations

import sys
import time
from enum import Enum
from typing import Final, TextIO

from runar.cli import render
from runar.cli.access import current_store, existing_views
from runar.cli.follow import run_events
from runar.codec import encode_json
from runar.events import AnyEvent, OutputCaptured, Unknown


def event_json(event: AnyEvent | Unknown) -> str:
    """One raw event as a JSON line; an event this runar does not know, as it was read."""
    if isinstance(event, Unknown):
        import msgspec

        return msgspec.json.encode(event.raw).decode()
    return encode_json(event).decode()


MAX_PAUSE_S: Final = 5.0


class StreamChoice(str, Enum):
    """Which captured stream(s) `runar logs` prints."""

    both = "both"
    stdout = "stdout"
    stderr = "stderr"


def _resolve(ref: str, follow: bool) -> tuple[str, bool]:
    """The run id for ``ref``, and whether following it makes sense (it still runs)."""
    store = current_store()
    with existing_views(store) as views:
        summary = views.get(ref)
        running = views.status(summary) == "running"
    return summary.run_id, follow and running


def logs_run(ref: str, follow: bool = False, stream: StreamChoice = StreamChoice.both) -> None:
    """`runar logs`; typer-free, so the fast path (cli/fast.py) can call it."""
    run_id, follow = _resolve(ref, follow)
    store = current_store()
    targets: dict[str, TextIO] = {"stdout": sys.stdout, "stderr": sys.stderr}
    try:
        for event in run_events(store, run_id, follow):
            if not isinstance(event, OutputCaptured):
                continue
            if stream is not StreamChoice.both and event.stream != stream.value:
                continue
            # one chosen stream goes to stdout, so `runar logs x --stream stderr | grep` works
            out = targets[event.stream] if stream is StreamChoice.both else sys.stdout
            out.write(event.content())
            if follow:
                out.flush()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how one stops following
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def replay_run(ref: str, speed: float = 0.0, follow: bool = False, as_json: bool = False) -> None:
    """`runar replay`; the typer signature and help are in cli/commands.py."""
    run_id, follow = _resolve(ref, follow)
    store = current_store()
    from runar.cli.story import Story

    story = Story(colour=render.wants_colour())
    at_line_start = True
    first_ts: int | None = None
    began = time.monotonic()
    try:
        for event in run_events(store, run_id, follow):
            if speed > 0 and event.ts:
                first_ts = first_ts or event.ts
                # a virtual clock, so live events (already late) are not delayed again
                due = began + (event.ts - first_ts) / render.NS / speed
                wait = due - time.monotonic()
                if wait > MAX_PAUSE_S:  # idle hours (or a skewed clock) are not worth watching
                    began -= wait - MAX_PAUSE_S
                    wait = MAX_PAUSE_S
                time.sleep(max(0.0, wait))
            if as_json:
                sys.stdout.write(event_json(event) + "\n")
            elif isinstance(event, OutputCaptured):
                text = event.content()
                sys.stdout.write(text)
                at_line_start = text.endswith(("\n", "\r")) if text else at_line_start
            else:
                line = story.line(event)
                if line is None:
                    continue
                sys.stdout.write(("" if at_line_start else "\n") + line + "\n")
                at_line_start = True
            if follow or speed > 0:
                sys.stdout.flush()
    except KeyboardInterrupt:
        pass  # Ctrl-C ends the replay
    finally:
        sys.stdout.flush()
