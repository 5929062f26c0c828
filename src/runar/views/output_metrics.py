"""Metrics derived from captured output: parsing is a projection, re-run on every rebuild.

A line may be split across output chunks, so the unfinished tail of each
(segment, stream) is carried between chunks; it is reset per segment so that the
projector and the frames derive exactly the same points.
"""

from __future__ import annotations

from typing import Final

from runar.events import MetricsLogged, OutputCaptured
from runar.views.stdout_metrics import parse_line

MAX_TAIL_CHARS: Final = 4096  # a "line" longer than this is not a metrics line


def metrics_from_output(
    event: OutputCaptured, tails: dict[str, str], segment: str
) -> list[MetricsLogged]:
    """Metric events for the complete lines this chunk finishes."""
    key = f"{segment}:{event.stream}"
    text = tails.pop(key, "") + event.content()
    complete, newline, rest = text.rpartition("\n")
    if rest:
        tails[key] = rest[-MAX_TAIL_CHARS:]
    if not newline:
        return []
    derived: list[MetricsLogged] = []
    for offset, line in enumerate(complete.split("\n")):
        parsed = parse_line(line)  # it keeps only what follows the last \r itself
        if parsed is None:
            continue
        step, values = parsed
        derived.append(
            MetricsLogged(
                values=values,
                step=step,
                source="output",
                writer=event.writer,
                seq=event.seq,
                # lines of one chunk share its (writer, seq): a ns offset keeps their
                # clocks distinct, so the chunk's last line is the metric's last value
                ts=event.ts + offset,
            )
        )
    return derived
