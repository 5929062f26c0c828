"""Read one printed line as a metrics report: a pure, context-free reader (no I/O).

Of a ``\\r``-rewritten progress line only the text after the last ``\\r`` counts, and ANSI
colour codes are dropped. What a line can be, with real examples:

    loss=0.4521, acc=0.8234                        key=value pairs (, ; | or spaces between)
    loss: 0.31 - acc: 0.82                         key: value pairs (, ; | or " - " between)
    loss: 0.31 (step 10)   loss: 0.31 (10)         a value with its step in parentheses
    Epoch 3: loss=0.4521, acc=0.8234               a step prefix, then pairs        → step 3
    iter 5: loss 4.2367, time 8.80ms, mfu 0.02%    after a prefix, "key value" pairs too
    step 20: train loss 3.8580, val loss 4.0183    multi-word keys → train_loss, val_loss
    | epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 12.30 | loss  7.63 | ppl 2061.05
    | end of epoch   1 | time: 30.12s | valid loss  5.72 | valid ppl   305.35
    {'loss': 2.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}   a printed dict
    Epoch 3/10                                     a header: the epoch of the lines after it
    938/938 [====] - 3s 3ms/step - loss: 0.4521 - accuracy: 0.8234       a Keras progress bar
    Epoch 3: 100%|███| 50/50 [00:01<00:00, loss=0.31, acc=0.9]            a tqdm postfix
    Train: 3 [ 150/1251 ( 12%)]  Loss: 6.912 (6.93)  LR: 1.000e-05      timm (running avg dropped)
    Epoch(train) [1][ 50/500]  lr: 1.0000e-03  eta: 0:01:00  loss: 0.54   mmengine
    eta: 0:10:12  iter: 19  total_loss: 1.2  lr: 0.0002  max_mem: 1234M   detectron2
    [3]\\tvalidation_0-logloss:0.18   15:\\tlearn: 35.35\\ttest: 53.06  boosting rounds
    |    ep_rew_mean      | 22.4     |      a table row; boosting and tables: output_*.py

Keys: a word starting with a letter or ``_`` and holding ``. / -``; up to three words
are joined with ``_`` and lower-cased (``Train Loss`` → ``train_loss``). A value printed
with a time unit keeps it in the key (``time 8.80ms`` → ``time_ms``, ``time: 30.12s`` →
``time_s``); a ``%`` is dropped (``mfu 0.02%`` → ``mfu`` = 0.02). Values are decimal
numbers, exponents, ``nan`` and ``inf``.

The line reader only says what the line holds; which step a value belongs to when the
line gives none (an epoch header above it, a counter of printed dicts, the batch within
an epoch) and whether it is configuration rather than progress is decided per stream
by ``views/output_metrics.py``.

Conservative on purpose: a line that is one sentence with other words in it ("Running
with lr=0.01", "Epoch 3 took 45 seconds") yields nothing; so do dates, times, versions
(``3.11.4``), URLs, IP addresses, object reprs (``Namespace(lr=0.1, ...)``), dicts
holding anything but numbers, and tqdm bars without a postfix. On a line of several
parts an unreadable part is skipped when the line is clearly a progress report (it has
a step, epoch or batch marker, or more readable parts than unreadable ones).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from runar.views.output_boosting import read_boosting_round
from runar.views.output_tables import BoxRow, read_box_row, read_header, read_row

MAX_LINE_CHARS: Final = 2000  # longer lines are data dumps, not metric lines
MAX_KEY_CHARS: Final = 64
MAX_KEY_WORDS: Final = 3
STEP_KEYS: Final = frozenset({"step", "global_step", "iter", "iteration"})
EPOCH_KEY: Final = "epoch"
TIME_UNITS: Final = ("ms", "us", "µs", "ns", "sec", "min", "s", "h")

ParsedLine = tuple[int | None, dict[str, float]]


class LineReading(NamedTuple):
    """What one line says, before the stream's context decides its step."""

    values: dict[str, float]
    step: int | None = None  # an explicit step/iter number
    epoch: int | None = None  # a whole epoch number given on the line
    batch: tuple[int, int] | None = None  # "200/2983 batches": position within the epoch
    end_of_epoch: bool = False  # "end of epoch 3": the values belong after its last batch
    counted: bool = False  # a printed dict of a trainer's logs: step from a counter
    header: bool = False  # "Epoch 3/10" alone: sets the epoch of the lines that follow
    keras: bool = False  # a Keras progress line: its step is the epoch of the header above
    box: BoxRow | None = None  # a row of a boxed table: the stream gathers the block
    columns: tuple[str, ...] | None = None  # a table header: names the cells of rows below
    cells: tuple[str, ...] | None = None  # a row of numbers: read under the header above

    @property
    def is_progress(self) -> bool:
        """True when the line marks training progress (a step, epoch, batch or counter)."""
        return (
            self.step is not None
            or self.epoch is not None
            or self.batch is not None
            or self.counted
            or self.header
            or self.keras
        )


_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
# "key value" needs a decimal point or exponent: "Step 1 of 10" must not read as of=10
_FLOAT = r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|[-+]?(?:nan|inf)"
_WORD = r"[A-Za-z_](?:[\w./-]*\w)?"
# an abbreviation may lead a key: scikit-learn's SGD prints "Avg. loss: 0.51"
_ABBREV = r"(?:avg|val|std|acc|max|min|tot|num)\.[ \t]"
_WORDS = rf"(?:{_ABBREV})?{_WORD}(?:[ \t]{_WORD}){{0,{MAX_KEY_WORDS - 1}}}"
_UNIT = r"(?P<unit>%|ms|us|µs|ns|sec|min|s|h)?"
_EQ_PAIR = re.compile(rf"(?P<key>{_WORD})\s*=\s*(?P<value>{_NUM}){_UNIT}", re.IGNORECASE)
# timm prints a running average after the value: "Loss: 6.912 (6.93)"; the value is kept
_COLON_PAIR = re.compile(
    rf"(?P<key>{_WORDS}):\s+(?P<value>{_NUM}){_UNIT}(?:\s+\(\s*(?:{_FLOAT})\s*\))?", re.IGNORECASE
)
_SPACE_PAIR = re.compile(rf"(?P<key>{_WORDS})\s+(?P<value>{_FLOAT}){_UNIT}", re.IGNORECASE)
_SEGMENT_SPLIT = re.compile(r"\s*[,;|]\s*|\s+-\s+")
# two spaces after a value part fields too ("iter: 19  total_loss: 1.2", detectron2, mmengine);
# not after a key, where they align a column ("loss  7.63"). Only tried where two spaces are.
_WIDE_SEGMENT_SPLIT = re.compile(r"\s*[,;|]\s*|\s+-\s+|(?<=[\d)%])\s{2,}(?=[A-Za-z_])")
_PREFIX = re.compile(
    r"""^[\[|(]?\s*(?P<end>end\s+of\s+)?(?:train(?:ing)?\s+)?
        (?P<word>epoch|step|global_step|iter|iteration|train(?=:))
        (?:\((?P<mode>train|val|test)\))?\s*[#:=]?\s*\[?\s*
        (?P<n>\d+)(?:\s*/\s*(?P<total>\d+))?\s*[\])]?
        (?:\s*[:|,\-]\s*|\s+|$|(?=\[))""",
    re.IGNORECASE | re.VERBOSE,
)
# a position within the epoch: "200/ 2983 batches" (word LM), "[0/60000 (0%)]" (MNIST)
_BATCH = re.compile(
    r"^\[?\s*(?P<n>\d+)\s*/\s*(?P<total>\d+)\s*(?:batch(?:es)?|\(\s*\d+(?:\.\d+)?%\s*\))?\s*\]?$",
    re.IGNORECASE,
)
_LEADING_BATCH = re.compile(
    r"^\[\s*(?P<n>\d+)\s*/\s*(?P<total>\d+)(?:\s*\(\s*\d+(?:\.\d+)?%\s*\))?\s*\]\s*"
)
_STEP_IN_PARENS = re.compile(r"\s*\(\s*(?:step\s*)?(?P<step>\d+)?\s*\)$", re.IGNORECASE)
# "Epoch 3/10" (Keras), "-- Epoch 3" (scikit-learn's SGD), "Epoch 3" alone
_KERAS_HEADER = re.compile(r"^(?:--\s*)?Epoch\s+(?P<n>\d+)(?:\s*/\s*\d+)?$", re.IGNORECASE)
_KERAS_BAR = re.compile(r"^\d+/\d+\s*(?:\[[=>.]*\]|━+|(?=-\s))\s*(?:-\s*)?")
_RICH_BAR = re.compile(r"^[━╸╺╾╼─]+\s+\d+/\d+\s+(?:[\d:]+\s*•\s*[\d:-]+\s+)?(?:[\d.]+\s*it/s\s*)?")
_TQDM = re.compile(r"(?P<desc>.*?)\s*\d+%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+|\?)\s*(?P<rest>.*)$")
_TQDM_TIMING = re.compile(
    r"^(?:[\d:?]+<[\d:?]+|\d+(?:\.\d+)?\s*[a-zA-Z]*/[a-zA-Z]+|\?[a-zA-Z]*/s)$"
)
_DICT_PAIR = re.compile(rf"\s*(?P<q>['\"])(?P<key>[^'\"]{{1,{MAX_KEY_CHARS}}})(?P=q)\s*:\s*")
# transformers >= 4.5x prints its log values as strings: {'loss': '0.6939', 'epoch': '1'}
_DICT_VALUE = re.compile(rf"(?P<q>['\"]?)(?P<value>{_NUM})(?P=q)\s*(?:,|$)", re.IGNORECASE)
_ANY_VALUE = re.compile(r"\d|nan|inf", re.IGNORECASE)
_OBJECT_REPR = re.compile(r"^[A-Za-z_][\w.]*\(.*\)$")
# what the logging module puts before a message: "2024-01-15 12:30:45,123 - train - INFO - ";
# a logger's name after the level is followed by " - " or a bare ":", never ": " (a key's)
_STAMP = r"\[?(?:\d{4}[-/]\d{2}[-/]\d{2}|\d{2}/\d{2}/\d{4})[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d+)?\]?"
_LOG_PREFIX = re.compile(
    rf"""^(?:{_STAMP}\s*(?:-\s+)?)?
        (?:(?:[\w.]+\s+-\s+)?\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\]?
           (?:\s+-\s+|\s*:\s*|\s+)(?:[\w.]+(?:\s+-\s+|:(?!\s))\s*)?)""",
    re.VERBOSE,
)
_LOG_STAMP_ONLY = re.compile(rf"^{_STAMP}\s+")
# scikit-learn's HistGradientBoosting: the scores between the tree counts and the timing
_HGB_ROUND = re.compile(
    r"^\[(?P<n>\d+)/\d+\] \d+ trees?, \d+ leaves[^,]*, max depth = \d+, "
    r"(?P<scores>.+?),? in \d+(?:\.\d+)?s$"
)
_D2_PREFIX = re.compile(r"^\[\d{2}/\d{2} \d{2}:\d{2}:\d{2} [\w.]+\]:\s*")  # detectron2's
# timm's validation batches: running averages over an eval loader, named like the train ones
_TIMM_TEST = re.compile(r"^Test(?: \(EMA\))?: \[")


def clean_line(line: str) -> str:
    """The text a terminal would show last for this line: after the last \\r, no colours."""
    last = line.rstrip("\r\n").rsplit("\r", 1)[-1]
    return _ANSI.sub("", last[: MAX_LINE_CHARS + 1]).strip()


def read_line(line: str) -> LineReading | None:
    """What a printed line reports, or None when it is not a metrics report."""
    text = clean_line(line)
    if not text or len(text) > MAX_LINE_CHARS:
        return None
    if text[0] == "|" and text[-1] == "|" and (box := read_box_row(text)) is not None:
        return LineReading(values={}, box=box)  # its section rows hold no number
    if "  " in text and (columns := read_header(text)) is not None:
        return LineReading(values={}, columns=columns)  # spaCy's has digits: LOSS TOK2VEC
    if _ANY_VALUE.search(text) is None:
        return None  # most log lines hold no number at all: the cheapest no
    logged = _LOG_PREFIX.match(text) or _LOG_STAMP_ONLY.match(text) or _D2_PREFIX.match(text)
    if logged is not None:
        text = text[logged.end() :]
        if not text:
            return None
    if text[0] == "[" or text[0].isdigit():
        boosting = read_boosting_round(text)
        if boosting is not None:
            return LineReading(values=boosting[1], step=boosting[0])
        hgb = _HGB_ROUND.match(text)
        if hgb is not None:
            scores = _read_parts(hgb["scores"])
            return None if scores is None else scores._replace(step=int(hgb["n"]))
        cells = read_row(text) if text[0] != "[" else None
        if cells is not None:
            return LineReading(values={}, cells=cells)
    if text[0] in "{" and text[-1] == "}":
        return _read_dict(text)
    header = _KERAS_HEADER.match(text)
    if header is not None:
        return LineReading(values={}, epoch=int(header["n"]), header=True)
    if "%|" in text:
        return _read_tqdm(text)
    if _OBJECT_REPR.match(text):
        return None  # Namespace(lr=0.1, ...), TrainingArguments(...): settings, not progress
    if _TIMM_TEST.match(text):
        return None
    keras = _KERAS_BAR.match(text)
    if keras is not None:
        return _read_parts(text[keras.end() :], keras=True)
    return _read_parts(text)


def parse_line(line: str) -> ParsedLine | None:
    """(step, metrics) of one line read on its own, without any stream context."""
    reading = read_line(line)
    if reading is None or not reading.values:
        return None
    step = reading.step
    if step is None and reading.epoch is not None and reading.batch is None:
        step = reading.epoch
    return step, reading.values


def _read_dict(text: str) -> LineReading | None:
    """A printed dict of numbers, as the HF Trainer logs; any other value makes it config."""
    body, pos, pairs = text[1:-1].strip(), 0, []
    while pos < len(body):
        key = _DICT_PAIR.match(body, pos)
        value = key and _DICT_VALUE.match(body, key.end())
        if not key or not value:
            return None
        pairs.append((key["key"], value["value"]))
        pos = value.end()
    reading = _assemble(pairs, None, None)
    if reading is None:
        return None
    counted = reading.step is None and EPOCH_KEY in {k.lower() for k, _ in pairs}
    if counted:  # a fractional epoch of a trainer's log: keep it as a value, count the lines
        values = {k: float(v) for k, v in pairs if k.lower() not in STEP_KEYS}
        return reading._replace(values=values, epoch=None, counted=True)
    return reading


def _read_tqdm(text: str) -> LineReading | None:
    """The postfix of a tqdm bar (``[00:01<00:00, loss=0.31]``); the desc may give a step."""
    bar = _TQDM.match(text)
    if bar is None:
        return None
    rest = bar["rest"].strip()
    if not (rest.startswith("[") and rest.endswith("]")):
        return None
    pairs: list[tuple[str, str]] = []
    for part in rest[1:-1].split(","):
        part = part.strip()
        if not part or _TQDM_TIMING.match(part):
            continue
        found = _whole(part, _EQ_PAIR)
        if found is None:
            return None
        pairs.extend(found)
    if not pairs:
        return None
    prefixed, _ = _take_prefixes(bar["desc"].strip())
    reading = _assemble(pairs, prefixed.get("step"), prefixed.get("epoch"))
    return reading


def _take_prefixes(text: str) -> tuple[dict[str, int], str]:
    """Leading "Epoch 1", "step 200:" and "| end of epoch 3 |" markers, and the text after."""
    found: dict[str, int] = {}
    while (prefix := _PREFIX.match(text)) is not None:
        word = prefix["word"].lower()
        kind = "epoch" if word in (EPOCH_KEY, "train") else "step"
        if kind in found:
            break
        if (prefix["mode"] or "train").lower() != "train":  # mmengine's "Epoch(val) [1][79/79]"
            found["eval"] = 1  # its batches count an eval loader: the values end the epoch
            if kind == "step":  # "Iter(val) [20/79]": the eval loader's batch, no step
                if prefix["total"] and int(prefix["n"]) < int(prefix["total"]):
                    found["unfinished"] = 1
                text = text[prefix.end() :]
                continue
            found["end"] = 1
        found[kind] = int(prefix["n"])
        if prefix["end"]:
            found["end"] = 1
        text = text[prefix.end() :]
    return found, text


def _read_parts(text: str, keras: bool = False) -> LineReading | None:
    prefixed, text = _take_prefixes(text)
    if "unfinished" in prefixed:
        return None
    rich = _RICH_BAR.match(text) if prefixed else None
    if rich is not None:  # Lightning's rich bar: "Epoch 2/9 ━━━━ 8/8 0:00:00 • 0:00:00 25it/s"
        text = text[rich.end() :]
    in_parens = _STEP_IN_PARENS.search(text)
    if in_parens is not None and not prefixed:  # "loss: 0.31 (step 10)"
        if in_parens["step"] is not None:
            prefixed["step"] = int(in_parens["step"])
        text = text[: in_parens.start()]
    table = text.count("|") >= 2
    anchored = bool(prefixed) or keras or table
    batch: tuple[int, int] | None = None
    leading = _LEADING_BATCH.match(text) if prefixed else None
    if leading is not None:  # "Train Epoch: 1 [640/60000 (1%)]\tLoss: 2.30" (PyTorch MNIST)
        batch = (int(leading["n"]), int(leading["total"]))
        if "eval" in prefixed:  # an eval loop's batches: only its last line holds the results
            if batch[0] < batch[1]:
                return None
            batch = None
        text = text[leading.end() :]
    splitter = _WIDE_SEGMENT_SPLIT if "  " in text else _SEGMENT_SPLIT
    parts = [p for p in splitter.split(text.strip()) if p]
    pairs: list[tuple[str, str]] = []
    read_parts, junk, units = 0, 0, False
    for part in parts:
        position = _BATCH.match(part)
        if position is not None and batch is None and anchored:
            batch = (int(position["n"]), int(position["total"]))
            continue
        found = _pairs(part, allow_space=anchored)
        if found is None:
            junk += 1
            continue
        read_parts += 1
        units = units or any(unit and unit != "%" for _, _, unit in found)
        pairs.extend((key, value) for key, value, _ in found)
    if not pairs:
        return None
    if junk and not (anchored or (read_parts >= 2 and read_parts > junk)):
        return None
    if units and len(pairs) < 2 and not table:
        return None  # "Epoch 3 took 45.2s" is a sentence, not a report of "took_s"
    reading = _assemble(pairs, prefixed.get("step"), prefixed.get("epoch"))
    if reading is None:
        return None
    return reading._replace(batch=batch, end_of_epoch="end" in prefixed, keras=keras)


def _pairs(segment: str, allow_space: bool) -> list[tuple[str, str, str]] | None:
    """The (key, value, unit) triples a segment consists of, or None when anything else is in it."""
    if "'" in segment or '"' in segment:
        return None  # model='gpt2': a quoted string belongs to settings
    patterns = [_EQ_PAIR, _COLON_PAIR] + ([_SPACE_PAIR] if allow_space else [])
    for pattern in patterns:
        found = _whole(segment, pattern)
        if found is not None:
            return found
    return None


def _whole(segment: str, pattern: re.Pattern[str]) -> list[tuple[str, str, str]] | None:
    """Triples when the segment is nothing but ``pattern`` repeated, space separated."""
    found: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(segment):
        match = pattern.match(segment, pos)
        if match is None:
            return None
        end = match.end()
        if end < len(segment) and not segment[end].isspace():
            return None
        found.append((_key_with_unit(match["key"], match["unit"]), match["value"], match["unit"]))
        pos = end
        while pos < len(segment) and segment[pos].isspace():
            pos += 1
    return found or None


def _key_with_unit(key: str, unit: str | None) -> str:
    words = key.split()
    name = "_".join(word.rstrip(".") for word in words).lower() if len(words) > 1 else key
    if unit and unit != "%":
        name = f"{name}_{unit.lower()}"
    return name


def _as_step(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _assemble(
    pairs: list[tuple[str, str]] | list[tuple[str, str, str]],
    step: int | None,
    epoch: int | None,
) -> LineReading | None:
    metrics: dict[str, float] = {}
    for key, raw, *_ in pairs:
        if len(key) > MAX_KEY_CHARS:
            return None
        lowered = key.lower()
        if lowered in STEP_KEYS and _as_step(raw) is not None:
            step = _as_step(raw)
            continue
        if lowered == EPOCH_KEY and _as_step(raw) is not None and epoch is None:
            epoch = int(raw)
            continue
        metrics[key] = float(raw)
    if not metrics:
        return None
    if epoch is not None and step is not None:
        metrics[EPOCH_KEY] = float(epoch)  # an epoch beside a step is a value of its own
    return LineReading(values=metrics, step=step, epoch=epoch)
