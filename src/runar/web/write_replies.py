"""Replies remembered per (token, Idempotency-Key), kept across a restart of the server.

A retry within ``IDEMPOTENCY_TTL_S`` (and among the last ``IDEMPOTENCY_KEYS`` keys) gets
the first reply again and writes nothing. Each reply is also appended to
``.runar/config/replies.jsonl`` (mode 600, machine-local like the tokens file), and a
starting server reads it back, so a retry that crosses a restart is not written twice.
The file is handed to the OS with the reply, like the events (write.py): a kill loses
nothing, a machine crash may lose the last replies. Past twice the capacity in lines it is
rewritten with the live entries only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

IDEMPOTENCY_KEYS: Final = 100_000
IDEMPOTENCY_TTL_S: Final = 24 * 3600.0
REPLIES_FILENAME: Final = "replies.jsonl"


@dataclass
class Reply:
    """A reply as sent: replayed as is for a repeated Idempotency-Key."""

    status: int
    body: bytes
    fingerprint: str
    at: float  # time.monotonic()


class Saved(msgspec.Struct, array_like=True):
    """One line of the replies file."""

    token: str
    key: str
    fingerprint: str
    status: int
    body: str
    at: float  # time.time()


_decoder: Final = msgspec.json.Decoder(Saved)
_encoder: Final = msgspec.json.Encoder()


class Replies:
    """Remembered replies per (token, Idempotency-Key): a bounded LRU with a time limit."""

    def __init__(
        self,
        capacity: int = IDEMPOTENCY_KEYS,
        ttl_s: float = IDEMPOTENCY_TTL_S,
        path: Path | None = None,
    ) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self.path = path
        self._replies: OrderedDict[tuple[str, str], Reply] = OrderedDict()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._lines = 0  # lines in the file: it is compacted past 2 × capacity
        self._warned = False
        if path is not None:
            self._load(path)

    def lock(self, key: tuple[str, str]) -> asyncio.Lock:
        """One request per key at a time: a concurrent retry waits for the first reply."""
        found = self._locks.get(key)
        if found is None:
            found = self._locks[key] = asyncio.Lock()
        return found

    def release(self, key: tuple[str, str]) -> None:
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]

    def get(self, key: tuple[str, str]) -> Reply | None:
        reply = self._replies.get(key)
        if reply is None:
            return None
        if time.monotonic() - reply.at > self.ttl_s:
            del self._replies[key]
            return None
        self._replies.move_to_end(key)
        return reply

    def put(self, key: tuple[str, str], reply: Reply) -> None:
        self._remember(key, reply)
        if self.path is not None:
            self._save([(key, reply)], append=self._lines < 2 * self.capacity)

    def _remember(self, key: tuple[str, str], reply: Reply) -> None:
        self._replies[key] = reply
        self._replies.move_to_end(key)
        while len(self._replies) > self.capacity:
            self._replies.popitem(last=False)

    # -- the file -------------------------------------------------------------------
    def _load(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            self._warn(exc)
            return
        now, clock = time.time(), time.monotonic()
        for line in data.splitlines():
            self._lines += 1
            try:
                saved = _decoder.decode(line)
            except msgspec.DecodeError:
                continue  # a line torn by a kill: that reply is forgotten, as before a restart
            age = now - saved.at
            if 0 <= age <= self.ttl_s:
                reply = Reply(saved.status, saved.body.encode(), saved.fingerprint, clock - age)
                self._remember((saved.token, saved.key), reply)

    def _save(self, entries: list[tuple[tuple[str, str], Reply]], append: bool) -> None:
        assert self.path is not None
        now, clock = time.time(), time.monotonic()
        if not append:  # compaction: the live entries only, renamed over the old file
            entries = list(self._replies.items())
        lines = b"".join(
            _encoder.encode(
                Saved(token, key, r.fingerprint, r.status, r.body.decode(), now - (clock - r.at))
            )
            + b"\n"
            for (token, key), r in entries
        )
        target = self.path if append else self.path.with_name(f".{REPLIES_FILENAME}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, flags, 0o600)
            try:
                os.write(fd, lines)
            finally:
                os.close(fd)
            if not append:
                os.replace(target, self.path)
        except OSError as exc:
            self._warn(exc)
            if not append:
                with contextlib.suppress(OSError):
                    os.unlink(target)
            return
        self._lines = self._lines + len(entries) if append else len(entries)

    def _warn(self, exc: OSError) -> None:
        # the replies stay in memory; only a restart would forget them
        if not self._warned:
            self._warned = True
            print(
                f"runar serve: cannot keep Idempotency-Key replies in {self.path} "
                f"({exc.strerror or exc}); a retry after a restart may be written twice",
                file=sys.stderr,
            )
