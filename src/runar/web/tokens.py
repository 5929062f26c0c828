"""API tokens of a store: named, scoped, stored only as sha256 hashes in ``config/tokens.json``.

A token is 32 random bytes (``runar_`` + URL-safe base64), printed once by ``runar token
create`` and never written anywhere: the file keeps its sha256, which is safe to compare
because a high-entropy secret needs no slow hash. Lookups hash what the client sent and
compare it with every stored hash through ``hmac.compare_digest`` (constant time).

Scopes: ``read`` (the read API when the server needs a token), ``write`` (any run), and
``write:PROJECT`` (only runs of that project). A running server re-reads the file when
it changes, so ``runar token revoke`` takes effect on the next request.

The file lives in the store's folder, not under ``runs/``: ``runar sync`` never carries
it, but an ``rsync`` of the whole ``.runar/`` does (hashes only, so nobody learns a token).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Final, Literal

import msgspec

from runar.errors import UsageError
from runar.store import Store

CONFIG_DIRNAME: Final = "config"
TOKENS_FILENAME: Final = "tokens.json"
TOKEN_PREFIX: Final = "runar_"
TOKEN_BYTES: Final = 32
MAX_NAME_CHARS: Final = 64
NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MAX_PROJECT_CHARS: Final = 200
SCOPE_HELP: Final = "read, write or write:PROJECT"
Access = Literal["read", "write"]


class Token(msgspec.Struct, kw_only=True, frozen=True):
    """One stored token: its name, what it may do, and the sha256 of its secret."""

    name: str
    access: Access
    project: str | None = None  # write:PROJECT: only runs of this project
    sha256: str
    created_ns: int

    @property
    def scope(self) -> str:
        return f"{self.access}:{self.project}" if self.project else self.access

    @property
    def can_write(self) -> bool:
        return self.access == "write"


class TokenFile(msgspec.Struct, kw_only=True):
    version: int = 1
    tokens: list[Token] = []


_decoder: Final = msgspec.json.Decoder(TokenFile)
_encoder: Final = msgspec.json.Encoder()


def digest(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def parse_scope(text: str) -> tuple[Access, str | None]:
    """``read`` | ``write`` | ``write:PROJECT`` → (access, project), or a UsageError."""
    access, sep, project = text.strip().partition(":")
    if access == "read" and not sep:
        return "read", None
    if access == "write" and not sep:
        return "write", None
    if access == "write" and project.strip():
        project = project.strip()
        if len(project) > MAX_PROJECT_CHARS or not project.isprintable():
            raise UsageError(f"project '{project[:40]}' in --scope is not a plain project name")
        return "write", project
    raise UsageError(f"scope '{text}' is not one of {SCOPE_HELP}; e.g. --scope write:vision")


def check_name(name: str) -> str:
    """A token name (letters, digits, _ . -), or a UsageError saying what is allowed."""
    if not name or len(name) > MAX_NAME_CHARS or not set(name) <= NAME_CHARS:
        raise UsageError(
            f"token name '{name[:40]}' must be 1-{MAX_NAME_CHARS} letters, digits, '_', '.' "
            "or '-'; e.g. --name ci"
        )
    return name


class TokenBook:
    """The store's tokens: create, list, revoke, and check a secret a client sent."""

    def __init__(self, store: Store) -> None:
        self.path = store.root / CONFIG_DIRNAME / TOKENS_FILENAME
        self._cache: tuple[tuple[int, int, int], list[Token]] | None = None
        self._cache_lock = threading.Lock()

    # -- reading ------------------------------------------------------------------
    def tokens(self) -> list[Token]:
        """Every token, oldest first; re-read only when the file changed."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]
            tokens = self._read()
            self._cache = (stamp, tokens)
            return tokens

    def _read(self) -> list[Token]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        try:
            return _decoder.decode(data).tokens
        except msgspec.DecodeError as exc:
            raise UsageError(
                f"{self.path} is damaged ({exc}); remove it and create the tokens again"
            ) from None

    def check(self, secret: str | None) -> Token | None:
        """The token whose secret this is, or None; every stored hash is compared."""
        if not secret:
            return None
        given = digest(secret)
        found: Token | None = None
        for token in self.tokens():
            if hmac.compare_digest(given, token.sha256):
                found = token  # no early exit: the time does not depend on the position
        return found

    # -- changing -----------------------------------------------------------------
    def create(self, name: str, scope: str) -> tuple[Token, str]:
        """A new token and its secret (shown once); a UsageError if the name is taken."""
        check_name(name)
        access, project = parse_scope(scope)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        token = Token(
            name=name,
            access=access,
            project=project,
            sha256=digest(secret),
            created_ns=time.time_ns(),
        )
        with self._locked():
            tokens = self._read()
            if any(t.name == name for t in tokens):
                raise UsageError(
                    f"a token named '{name}' exists; "
                    f"revoke it first with 'runar token revoke {name}'"
                )
            self._write([*tokens, token])
        return token, secret

    def revoke(self, name: str) -> Token:
        """Remove a token by name; a UsageError naming the existing ones if there is none."""
        with self._locked():
            tokens = self._read()
            kept = [t for t in tokens if t.name != name]
            if len(kept) == len(tokens):
                known = ", ".join(t.name for t in tokens) or "none"
                raise UsageError(f"no token named '{name}' (tokens: {known}); see 'runar token ls'")
            self._write(kept)
        return next(t for t in tokens if t.name == name)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer of the file at a time, across processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write(self, tokens: list[Token]) -> None:
        tmp = self.path.with_name(f".{TOKENS_FILENAME}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encoder.encode(TokenFile(tokens=tokens)))
                f.flush()
                os.fsync(f.fileno())  # before rename: a crash never leaves an empty file
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
