"""Metrics read from a script's printed lines: a pure, conservative parser (no I/O).

A complete line (``\\n``-terminated; of a ``\\r``-rewritten progress line only the text
after the last ``\\r`` counts; ANSI colour codes are dropped) yields metrics when it is,
as a whole, one of these shapes:

    loss=0.4521, acc=0.8234             key=value pairs (separated by , ; | or spaces)
    loss: 0.31 - acc: 0.82              key: value pairs (separated by , ; | or " - ")
    loss: 0.31 (step 10)   loss: 0.31 (10)      the Guild form: key: value (step)
    Epoch 3: loss=0.4521, acc=0.8234    a step prefix, then pairs       → step 3
    step 10 | loss 0.31                 after a step prefix, "key value" pairs too
    [epoch 2/10] loss=0.5 val/acc=71%   prefix in brackets, "N/total", a trailing %

Step prefixes and step-like keys are ``step``, ``global_step``, ``iter``, ``iteration``
and ``epoch`` (the epoch is the step only when no other step is given; otherwise it is
kept as a metric). Keys start with a letter or ``_`` and may contain ``. / -``.
Values are decimal numbers, exponents, ``nan`` and ``inf``.

Conservative on purpose: a line with any other words in it ("Running with lr=0.01",
"Epoch 3 took 45 seconds") yields nothing; so do dates, times, versions (``3.11.4``),
URLs, IP addresses and tqdm bars (``45%|████| 45/100 [00:01<00:02, 30.1it/s]``).
Only ``key: value`` on its own and ``key=value`` lines can match ordinary log lines
(``port: 8080``); that is the price of the Guild form.
"""

from __future__ import annotations

import re
from typing import Final

MAX_LINE_CHARS: Final = 2000  # longer lines are data dumps, not metric lines
MAX_KEY_CHARS: Final = 64
STEP_KEYS: Final = frozenset({"step", "global_step", "iter", "iteration"})
EPOCH_KEY: Final = "epoch"

ParsedLine = tuple[int | None, dict[str, float]]

_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_KEY = r"[A-Za-z_](?:[\w./-]*\w)?"
_VALUE = rf"(?P<value>{_NUM})%?"
_EQ_PAIR = re.compile(rf"(?P<key>{_KEY})\s*=\s*{_VALUE}", re.IGNORECASE)
_COLON_PAIR = re.compile(rf"(?P<key>{_KEY})\s*:\s+{_VALUE}", re.IGNORECASE)
# "key value" needs a decimal point or exponent: "Step 1 of 10" must not read as of=10
_FLOAT = r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|[-+]?(?:nan|inf)"
_SPACE_PAIR = re.compile(rf"(?P<key>{_KEY})\s+(?P<value>{_FLOAT})%?", re.IGNORECASE)
_SEGMENT_SPLIT = re.compile(r"\s*[,;|]\s*|\s+-\s+")
_PREFIX = re.compile(
    r"""^\[?\s*(?P<word>epoch|step|global_step|iter|iteration)\s*[#:=]?\s*
        (?P<n>\d+)(?:\s*/\s*\d+)?\s*\]?
        (?:\s*[:|,\-]\s*|\s+|$)""",
    re.IGNORECASE | re.VERBOSE,
)
_GUILD = re.compile(
    rf"^(?P<key>{_KEY})\s*:\s*(?P<value>{_NUM})\s*\(\s*(?:step\s*)?(?P<step>\d+)\s*\)$",
    re.IGNORECASE,
)
_TQDM = re.compile(r"\d+%\|")


def _pairs(segment: str, allow_space: bool) -> list[tuple[str, str]] | None:
    """The pairs a segment consists of, or None when anything else is in it."""
    patterns = [_EQ_PAIR, _COLON_PAIR] + ([_SPACE_PAIR] if allow_space else [])
    for pattern in patterns:
        found = _whole(segment, pattern)
        if found is not None:
            return found
    return None


def _whole(segment: str, pattern: re.Pattern[str]) -> list[tuple[str, str]] | None:
    """Pairs when the segment is nothing but ``pattern`` repeated, space separated."""
    found: list[tuple[str, str]] = []
    pos = 0
    while pos < len(segment):
        match = pattern.match(segment, pos)
        if match is None:
            return None
        key, value = match["key"], match["value"]
        end = match.end()
        if end < len(segment) and not segment[end].isspace():
            return None
        found.append((key, value))
        pos = end
        while pos < len(segment) and segment[pos].isspace():
            pos += 1
    return found or None


def _as_step(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _assemble(pairs: list[tuple[str, str]], step: int | None) -> ParsedLine | None:
    metrics: dict[str, float] = {}
    epoch: float | None = None
    for key, raw in pairs:
        if len(key) > MAX_KEY_CHARS:
            return None
        lowered = key.lower()
        if lowered in STEP_KEYS and _as_step(raw) is not None:
            step = _as_step(raw)
            continue
        if lowered == EPOCH_KEY and _as_step(raw) is not None:
            epoch = float(raw)
            continue
        metrics[key] = float(raw)
    if epoch is not None:
        if step is None:
            step = int(epoch)
        else:
            metrics[EPOCH_KEY] = epoch
    return (step, metrics) if metrics else None


def parse_line(line: str) -> ParsedLine | None:
    """(step, metrics) for a line shaped like a metrics report, else None."""
    last = line.rstrip("\r\n").rsplit("\r", 1)[-1]
    if len(last) > MAX_LINE_CHARS:
        return None
    text = _ANSI.sub("", last).strip()
    if not text or _TQDM.search(text):
        return None
    guild = _GUILD.match(text)
    if guild is not None:
        return _assemble([(guild["key"], guild["value"])], int(guild["step"]))
    prefixed: list[tuple[str, str]] = []
    while (prefix := _PREFIX.match(text)) is not None:  # "Epoch 1 step 200: ..."
        prefixed.append((prefix["word"], prefix["n"]))
        text = text[prefix.end() :]
    pairs = _split_pairs(text, allow_space=bool(prefixed))
    return None if pairs is None else _assemble(prefixed + pairs, None)


def _split_pairs(text: str, allow_space: bool) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    for segment in _SEGMENT_SPLIT.split(text.strip()):
        if not segment:
            continue
        found = _pairs(segment, allow_space)
        if found is None:
            return None
        pairs.extend(found)
    return pairs or None


class OutputMetricParser:
    """Feeds output text in chunks; parses each line once it is complete."""

    def __init__(self) -> None:
        self._partial = ""

    def feed(self, text: str) -> list[ParsedLine]:
        """Parsed metrics of the lines this chunk completes; the unfinished tail is kept."""
        complete, newline, self._partial = (self._partial + text).rpartition("\n")
        if len(self._partial) > MAX_LINE_CHARS:
            # only the text after the last \r can still matter; past the cap it never parses
            last_cr = max(self._partial.rfind("\r"), 0)
            self._partial = self._partial[last_cr:][-MAX_LINE_CHARS - 1 :]
        if not newline:
            return []
        return [p for line in complete.split("\n") if (p := parse_line(line)) is not None]

    def finish(self) -> list[ParsedLine]:
        """Parse the last line even though it never got its newline."""
        tail, self._partial = self._partial, ""
        parsed = parse_line(tail)
        return [parsed] if parsed is not None else []
