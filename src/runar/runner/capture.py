"""Batch the child's output bytes into OutputCaptured events, in the order they came.

Small reads are joined so a chatty script does not write one event per print: a
batch is emitted after FLUSH_AFTER_S, past FLUSH_BYTES, or when the other stream
speaks (which keeps stdout/stderr interleaving exact). A UTF-8 character split
across reads is held back until its last byte arrives; bytes that are not UTF-8
are recorded as ``data``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from runar.redact import redact_value

if TYPE_CHECKING:  # OutputTail is used before the journal (msgspec) loads
    from runar.events import OutputCaptured, Stream

FLUSH_AFTER_S: Final = 0.1
FLUSH_BYTES: Final = 64 << 10
TAIL_BYTES: Final = 64 << 10  # enough for a deep traceback, bounded for a chatty stream


def incomplete_utf8_tail(data: bytes | bytearray) -> int:
    """How many trailing bytes start a UTF-8 character that is not complete yet."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # continuation byte: keep looking for the lead
            continue
        if byte & 0xE0 == 0xC0:
            needed = 2
        elif byte & 0xF0 == 0xE0:
            needed = 3
        elif byte & 0xF8 == 0xF0:
            needed = 4
        else:
            return 0
        return back if back < needed else 0
    return 0


def to_event(stream: Stream, data: bytes) -> OutputCaptured:
    """An output event carrying text when the bytes are UTF-8, raw data otherwise."""
    from runar.events import OutputCaptured

    try:
        # a script that prints its own token (print(args) of an --hf_token option) must
        # not put it in the log; the terminal still shows what the script wrote
        return OutputCaptured(stream=stream, text=redact_value(data.decode("utf-8")))
    except UnicodeDecodeError:
        return OutputCaptured(stream=stream, data=data)


class OutputRecorder:
    """Collects output chunks and hands batched events to ``emit``."""

    def __init__(self, emit: Callable[[OutputCaptured], None]) -> None:
        self._emit = emit
        self._stream: Stream | None = None
        self._pending = bytearray()
        self._since = 0.0

    def add(self, stream: Stream, data: bytes) -> None:
        """Queue a chunk read from ``stream``."""
        if self._stream is not None and stream != self._stream:
            self._flush(final=True)
        if not self._pending:
            self._since = time.monotonic()
        self._stream = stream
        self._pending += data
        if len(self._pending) >= FLUSH_BYTES:
            self._flush(final=False)

    def tick(self) -> None:
        """Emit the batch if it has waited long enough."""
        if self._pending and time.monotonic() - self._since >= FLUSH_AFTER_S:
            self._flush(final=False)

    def close(self) -> None:
        """Emit whatever is left, a split character included."""
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        if not self._pending or self._stream is None:
            return
        keep = 0 if final else incomplete_utf8_tail(self._pending)
        cut = len(self._pending) - keep
        if cut == 0:
            return
        chunk = bytes(self._pending[:cut])
        del self._pending[:cut]
        self._since = time.monotonic()
        self._emit(to_event(self._stream, chunk))


class OutputTail:
    """The last TAIL_BYTES of one stream, kept so a failed run can say why it failed."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self._limit = limit
        self._data = bytearray()

    def add(self, data: bytes) -> None:
        """Append a chunk, forgetting what falls out of the window."""
        self._data += data
        if len(self._data) > 2 * self._limit:  # trim in bulk: cheap for a chatty stream
            del self._data[: len(self._data) - self._limit]

    def text(self) -> str:
        """The kept bytes as text; a character cut at the window's start becomes U+FFFD."""
        return bytes(self._data[-self._limit :]).decode("utf-8", errors="replace")
