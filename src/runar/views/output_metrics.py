"""Metrics derived from captured output: a projection, re-run on every rebuild.

Each (segment, stream) keeps a small ``StreamState`` between chunks, so the projector
(which folds a segment in pieces as it grows) and the frames (which read a sealed segment
whole) derive exactly the same points. The state is what a reader of the output would
remember:

- the unfinished tail of the last line;
- the epoch of the last ``Epoch 3/10`` header (Keras prints its metrics on the lines below);
- the first epoch seen and the batches per epoch, so ``| epoch 2 | 200/2983 batches |``
  lands at step (2 - 1) * 2983 + 200 and the curve does not restart every epoch;
- a counter of printed trainer dicts (``{'loss': 2.31, ..., 'epoch': 0.5}``): the n-th such
  line is step n, and ``epoch`` stays a value (the HF Trainer prints no step);
- the block of a boxed table being printed (stable-baselines3): its rows make one point,
  at the block's ``time/total_timesteps``, when the block ends;
- the columns of the last table header (``Iter  Train Loss``, fastai's ``epoch  train_loss``):
  the rows of numbers below it are read under those names;
- the latest step (an ``Epoch 3`` header sets it too): a step-less line printed after
  training began ("| End of training | test loss 5.41", a trainer's final
  ``eval_loss = 0.68``) reports at that step;
- lines without any step seen before the first progress line. Settings printed before
  training (``batch_size = 12``, ``{'lr': 0.1, 'layers': 4}``) look exactly like metrics;
  what tells them apart is that they never change. Such lines are held back: when the
  first progress line arrives, a held line is kept if one of its keys took two different
  values, and otherwise dropped as configuration. Values that change across held lines
  (a script that prints ``loss=0.5`` each epoch with no step at all) are emitted as soon
  as the change shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from runar.events import MetricsLogged, OutputCaptured
from runar.views.summary import DERIVED_SOURCE

if TYPE_CHECKING:
    from runar.views.output_tables import BoxRow
    from runar.views.stdout_metrics import LineReading

MAX_TAIL_CHARS: Final = 4096  # a "line" longer than this is not a metrics line
MAX_HELD_LINES: Final = 256  # past this many step-less lines, training has surely begun
PARSER_VERSION: Final = 3  # part of cached derived points' names: a new parser reparses


class HeldLine(msgspec.Struct, array_like=True):
    """A step-less line printed before any progress: config or metric, not yet known."""

    values: dict[str, float]
    ts: int
    writer: str
    seq: int


class StreamState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the parser remembers of one stream of one segment."""

    tail: str = ""
    progressed: bool = False
    held: list[HeldLine] = []
    header_epoch: int | None = None
    first_epoch: int | None = None
    epoch_batches: int | None = None
    counted: int = 0
    last_step: int | None = None
    box: HeldLine | None = None
    box_section: str = ""
    columns: list[str] = []


BOX_STEP_KEY: Final = "time/total_timesteps"  # stable-baselines3's own step counter


def metrics_from_output(
    event: OutputCaptured, states: dict[str, StreamState], segment: str
) -> list[MetricsLogged]:
    """Metric events for the complete lines this chunk finishes (and held lines it settles)."""
    # the line parser's patterns take ~8 ms to compile: loaded by the first fold of output,
    # not by every command that opens the index (whose checkpoints hold StreamState)
    from runar.views.output_tables import row_values
    from runar.views.stdout_metrics import LineReading, read_line

    state = states.setdefault(f"{segment}:{event.stream}", StreamState())
    text = state.tail + event.content()
    complete, newline, rest = text.rpartition("\n")
    state.tail = rest[-MAX_TAIL_CHARS:]
    if not newline:
        return []
    derived: list[MetricsLogged] = []
    for offset, line in enumerate(complete.split("\n")):
        reading = read_line(line)
        if state.box is not None and (reading is None or reading.box is None):
            box, state.box, state.box_section = state.box, None, ""
            step = box.values.pop(BOX_STEP_KEY, None)
            block = LineReading(values=box.values, step=None if step is None else int(step))
            derived.extend(_settle(state, block, box.writer, box.seq, box.ts))
        if reading is None:
            continue
        # lines of one chunk share its (writer, seq): a ns offset keeps their clocks
        # distinct, so the chunk's last line is the metric's last value
        ts = event.ts + offset
        if reading.box is not None:
            _add_to_box(state, reading.box, event.writer, event.seq, ts)
            continue
        if reading.columns is not None:
            state.columns = list(reading.columns)
            continue
        if reading.cells is not None:
            if len(reading.cells) != len(state.columns):
                continue  # a row of numbers without its header: nothing to name them by
            row = row_values(tuple(state.columns), reading.cells)
            if row is None:
                continue
            reading = LineReading(values=row[1], step=row[0])
        derived.extend(_settle(state, reading, event.writer, event.seq, ts))
    return derived


def _add_to_box(state: StreamState, row: BoxRow, writer: str, seq: int, ts: int) -> None:
    key, value, indented = row
    if state.box is None:
        state.box = HeldLine({}, ts, writer, seq)
    if value is None:
        state.box_section = key
        return
    state.box.values[state.box_section + key if indented else key] = value
    state.box.ts, state.box.seq, state.box.writer = ts, seq, writer


def _settle(
    state: StreamState, reading: LineReading, writer: str, seq: int, ts: int
) -> list[MetricsLogged]:
    """The points one line gives, in the light of what the stream printed before it."""
    if reading.header:  # "Epoch 3" above step-less lines: they report at epoch 3
        state.header_epoch = state.last_step = reading.epoch
    step = _step_of(state, reading)
    released: list[MetricsLogged] = []
    if reading.is_progress or step is not None:
        if not state.progressed:
            state.progressed = True
            released = _release(state)
    elif not state.progressed:
        state.held.append(HeldLine(reading.values, ts, writer, seq))
        if _has_changed(state.held) or len(state.held) > MAX_HELD_LINES:
            state.progressed = True
            return _release(state)
        return []
    if not reading.values:
        return released
    if step is None:  # "| End of training | test loss 5.41": a result of the latest step
        step = state.last_step
    state.last_step = step
    point = MetricsLogged(
        values=reading.values, step=step, source=DERIVED_SOURCE, writer=writer, seq=seq, ts=ts
    )
    return [*released, point]


def _step_of(state: StreamState, reading: LineReading) -> int | None:
    if reading.step is not None:
        return reading.step
    if reading.counted:
        state.counted += 1
        return state.counted
    if reading.epoch is None:
        return state.header_epoch if reading.keras else None
    if reading.header:
        return None
    if state.first_epoch is None or reading.epoch < state.first_epoch:
        state.first_epoch = reading.epoch
    done_epochs = reading.epoch - state.first_epoch
    if reading.batch is not None:
        n, total = reading.batch
        state.epoch_batches = total
        return done_epochs * total + n
    if state.epoch_batches is not None:  # "end of epoch 1" after "200/2983 batches" lines
        return (done_epochs + (1 if reading.end_of_epoch else 0)) * state.epoch_batches
    return reading.epoch


def _has_changed(held: list[HeldLine]) -> bool:
    """True when the newest held line gives some key a value it did not have before."""
    newest = held[-1].values
    for line in held[:-1]:
        for key, value in line.values.items():
            if key in newest and not _same(newest[key], value):
                return True
    return False


def _changing_keys(held: list[HeldLine]) -> set[str]:
    first: dict[str, float] = {}
    changing: set[str] = set()
    for line in held:
        for key, value in line.values.items():
            if key not in first:
                first[key] = value
            elif not _same(first[key], value):
                changing.add(key)
    return changing


def _release(state: StreamState) -> list[MetricsLogged]:
    """Held lines that turned out to be progress; the constant ones were configuration."""
    changing = _changing_keys(state.held)
    kept = [
        MetricsLogged(
            values=line.values,
            step=None,
            source=DERIVED_SOURCE,
            writer=line.writer,
            seq=line.seq,
            ts=line.ts,
        )
        for line in state.held
        if changing.intersection(line.values)
    ]
    state.held = []
    return kept


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)  # NaN equals NaN here: a constant NaN is constant
