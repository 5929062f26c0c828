"""What the write API accepts: strict msgspec shapes, decoded whole before anything is written.

Unknown fields, wrong types, strings where numbers belong (``"nan"``), numbers JSON
cannot hold as a double (``1e999``) and steps past 2**63 are refused with the field at
fault. JSON has no NaN or infinity, so a metric value is always a finite number.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import msgspec

MAX_BODY_BYTES: Final = 16 << 20  # a JSON or NDJSON body; artifacts have their own limit
MAX_ARTIFACT_BYTES: Final = 1 << 30
MAX_BATCH_POINTS: Final = 10_000  # metric points in one request
MAX_KEYS_PER_POINT: Final = 1_000
MAX_KEY_CHARS: Final = 256
MAX_NAME_CHARS: Final = 256
MAX_TEXT_CHARS: Final = 64 * 1024  # a note, an error
MAX_TAGS: Final = 100
MAX_COMMAND_ITEMS: Final = 1_000
MAX_CONFIG_DEPTH: Final = 32
MAX_STEP: Final = 2**63 - 1
MAX_TS: Final = 2**63 - 1
# the integers the index can store (msgpack): a config integer beyond them broke every
# catch-up of the store's views, so `runar ls` and the dashboard with it
MIN_CONFIG_INT: Final = -(2**63)
MAX_CONFIG_INT: Final = 2**64 - 1
IDEMPOTENCY_KEY_CHARS: Final = 200

PLAIN: Final = r"^[^\x00-\x1f]+$"  # no control character
# metric keys are checked for control characters once per batch (_check_keys), not per point
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY_CHARS)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME_CHARS, pattern=PLAIN)]
StepId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Step = Annotated[int, msgspec.Meta(ge=0, le=MAX_STEP)]
Ts = Annotated[int, msgspec.Meta(ge=0, le=MAX_TS)]
Word = Annotated[str, msgspec.Meta(max_length=4096)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Every request shape refuses fields it does not know."""


class NewRun(Strict):
    name: Name | None = None
    project: Name | None = None
    tags: Annotated[list[Name], msgspec.Meta(max_length=MAX_TAGS)] = []
    config: dict[str, Any] = {}
    command: Annotated[list[Word], msgspec.Meta(max_length=MAX_COMMAND_ITEMS)] | Word = []
    host: Name | None = None
    user: Name | None = None
    parent_run: Name | None = None


class Finish(Strict):
    status: Literal["completed", "failed", "killed", "crashed"] = "completed"
    exit_code: Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)] | None = None
    error: Text | None = None
    error_type: Name | None = None


class Point(Strict):
    values: Annotated[dict[Key, float], msgspec.Meta(min_length=1, max_length=MAX_KEYS_PER_POINT)]
    step: Step | None = None
    workflow_step: StepId | None = None  # a step id from POST /steps: the point belongs to it
    ts: Ts | None = None  # when it was measured (ns since the epoch), if not now


class Tags(Strict):
    add: Annotated[list[Name], msgspec.Meta(max_length=MAX_TAGS)] = []
    remove: Annotated[list[Name], msgspec.Meta(max_length=MAX_TAGS)] = []


class Note(Strict):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS)]


class NewStep(Strict):
    name: Name
    parent: StepId | None = None


class StepFailure(Strict):
    error: Text | None = None
    error_type: Name | None = None


class EmptyBody(Strict):
    """``.../complete`` takes no fields; an empty body is fine too."""


@dataclass
class BadRequest(Exception):
    """A refused request: the status, one line saying why, and the field at fault."""

    status: int
    error: str
    field: str | None = None

    def record(self) -> dict[str, Any]:
        return {"error": self.error, "field": self.field}


_FIELD: Final = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN: Final = re.compile(r"unknown field `([^`]*)`")
_CONTROL: Final = re.compile(r"[\x00-\x1f]")
_KEY_IN: Final = re.compile(r" - at `key` in `\$\.?([^`]*)`$")


def _bad(exc: msgspec.MsgspecError, where: str = "") -> BadRequest:
    message = str(exc)
    if isinstance(exc, msgspec.ValidationError):
        found = _KEY_IN.search(message)
        if found:
            field = found.group(1) + " key"
        else:
            match = _FIELD.search(message)
            field = match.group(1) if match else None
            unknown = _UNKNOWN.search(message)
            if unknown:
                field = ".".join(p for p in (field, unknown.group(1)) if p)
        text = message.split(" - at ", 1)[0]
        field = f"{where}{field}" if field else (where.rstrip(". :") or None)
        return BadRequest(422, f"{text}" + (f" at '{field}'" if field else ""), field)
    return BadRequest(400, f"the body is not valid JSON ({message})", where.rstrip(".") or None)


_AT_BYTE: Final = re.compile(r"invalid character \(byte (\d+)\)")
_NONFINITE: Final = re.compile(rb"(?i)[:,\[\s](-?\s*)(nan|inf)")


def _nonfinite(body: bytes, bad: BadRequest) -> BadRequest:
    """``invalid character (byte 17)`` → what it was: a NaN or Infinity JSON cannot carry."""
    found = _AT_BYTE.search(bad.error)
    if found is None or bad.status != 400:
        return bad
    at = int(found.group(1))
    # msgspec points at NaN's N, but past a lowercase nan (read as a broken null)
    if _NONFINITE.search(body[max(0, at - 8) : at + 3]) is None:
        return bad
    return BadRequest(
        400,
        f"JSON has no NaN or Infinity (byte {at}); send finite numbers only, "
        "a value that went NaN cannot be recorded over HTTP",
        bad.field,
    )


def _too_deep(where: str | None = None) -> BadRequest:
    return BadRequest(422, "the body nests too deeply to decode; send flatter JSON", where)


def decode(body: bytes, shape: type[Any], *, empty_ok: bool = False) -> Any:
    """The body as ``shape``, or a BadRequest naming the field at fault."""
    if not body.strip():
        if empty_ok:
            return shape()
        raise BadRequest(400, "the body is empty; send a JSON object")
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.MsgspecError as exc:
        raise _nonfinite(body, _bad(exc)) from None
    except RecursionError:  # thousands of nested [ or {: a client's mistake, not a 500
        raise _too_deep() from None


_points: Final = msgspec.json.Decoder(Point | list[Point])
_point: Final = msgspec.json.Decoder(Point)


def _culprit_key(raw: bytes, bad: BadRequest) -> BadRequest:
    """``values[...]`` → ``values.loss``: msgspec does not name the key of a bad value."""
    if bad.field is None or not bad.field.endswith("values[...]"):
        return bad
    try:  # the stdlib reads 1e999 as inf, where msgspec refuses the whole document
        found = json.loads(raw)
    except (ValueError, RecursionError):
        return bad
    points = found if isinstance(found, list) else [found]
    for point in points:
        values = point.get("values") if isinstance(point, dict) else None
        for key, value in (values or {}).items() if isinstance(values, dict) else ():
            if not _is_double(value):
                field = bad.field[: -len("[...]")] + f".{key}"
                return BadRequest(bad.status, f"{bad.error.split(' at ')[0]} at '{field}'", field)
    return bad


def _is_double(value: object) -> bool:
    """A JSON number a finite double holds (an int of 400 digits is not one)."""
    try:
        return type(value) in (int, float) and math.isfinite(float(value))  # type: ignore[arg-type]
    except OverflowError:
        return False


def decode_points(body: bytes, ndjson: bool) -> list[Point]:
    """One point, a JSON list of them, or NDJSON (one point per line); all or nothing."""
    if not body.strip():
        raise BadRequest(400, 'the body is empty; send {"step": 0, "values": {"loss": 0.5}}')
    if ndjson:
        try:  # one decode of the whole batch; line by line only to name the culprit
            points = _point.decode_lines(body)
        except (msgspec.MsgspecError, RecursionError):
            for number, line in enumerate(body.split(b"\n"), start=1):
                if not line.strip():
                    continue
                try:
                    _point.decode(line)
                except RecursionError:
                    raise BadRequest(422, f"line {number}: {_too_deep().error}") from None
                except msgspec.MsgspecError as exc:
                    bad = _nonfinite(line, _culprit_key(line, _bad(exc)))
                    raise BadRequest(bad.status, f"line {number}: {bad.error}", bad.field) from None
            raise BadRequest(400, "the NDJSON body is not one JSON object per line") from None
        _check_batch(len(points))
    else:
        try:
            decoded = _points.decode(body)
        except msgspec.MsgspecError as exc:
            raise _nonfinite(body, _culprit_key(body, _bad(exc))) from None
        except RecursionError:
            raise _too_deep() from None
        points = decoded if isinstance(decoded, list) else [decoded]
        _check_batch(len(points))
    _check_keys(points)
    # no finiteness check: JSON has no NaN or infinity and msgspec refuses 1e999 itself
    return points


def _check_keys(points: list[Point]) -> None:
    keys: set[str] = set()
    for point in points:
        keys.update(point.values)
    for key in keys:
        if _CONTROL.search(key):
            raise BadRequest(422, f"metric name {key!r} contains a control character", "values")


def _check_batch(count: int) -> None:
    if count == 0:
        raise BadRequest(400, "the batch holds no point")
    if count > MAX_BATCH_POINTS:
        raise BadRequest(
            413, f"{count} points in one request; send at most {MAX_BATCH_POINTS}", "values"
        )


def out_of_range_at(raw: bytes, bad: BadRequest, prefix: str) -> BadRequest:
    """``[...]`` → ``config.model.lr``: where a config number a double cannot hold is."""
    if bad.field is None or "[...]" not in bad.field:
        return bad
    try:  # the stdlib reads 1e999 as inf, where msgspec names no key
        found = json.loads(raw)
    except (ValueError, RecursionError):
        return bad
    if prefix:
        found = found.get(prefix) if isinstance(found, dict) else None
    path = _first_nonfinite(found, prefix or "config")
    if path is None:
        return bad
    return BadRequest(bad.status, f"{bad.error.split(' at ')[0]} at '{path}'", path)


def _first_nonfinite(value: Any, where: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        named = [(f"{where}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        named = [(f"{where}[{i}]", item) for i, item in enumerate(value)]
    else:
        return None
    for path, item in named:
        found = _first_nonfinite(item, path)
        if found is not None:
            return found
    return None


def check_config(values: dict[str, Any]) -> dict[str, Any]:
    """A config as decoded, refused if it nests too deeply or holds a non-finite number."""
    _check_value(values, "config", 0)
    return values


def _check_value(value: Any, where: str, depth: int) -> None:
    if depth > MAX_CONFIG_DEPTH:
        raise BadRequest(422, f"config nests deeper than {MAX_CONFIG_DEPTH} levels", where)
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(422, "a config number is out of range", where)
    if type(value) is int and not MIN_CONFIG_INT <= value <= MAX_CONFIG_INT:
        raise BadRequest(
            422, "a config integer is beyond 64 bits; send it as a string or a float", where
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_KEY_CHARS:  # a metric key's limit: config keys become columns too
                raise BadRequest(
                    422, f"a config key is {len(key)} characters; at most {MAX_KEY_CHARS}", where
                )
            _check_value(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", depth + 1)


def clean_tags(tags: list[str], field: str) -> list[str]:
    """Tags stripped of surrounding spaces; a blank one is refused."""
    out = []
    for i, tag in enumerate(tags):
        if not tag.strip():
            raise BadRequest(422, "a tag is blank", f"{field}[{i}]")
        out.append(tag.strip())
    return out
