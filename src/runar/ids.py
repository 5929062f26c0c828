"""Run and writer ids, abbreviation, and resolving what a user typed to one run."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Final

from runar.errors import AmbiguousRun, RunNotFound

ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32: no i, l, o, u
RUN_ID_CHARS: Final = 16  # 80 random bits: unique across machines without coordination
SHORT_CHARS: Final = 8
WRITER_TOKEN_CHARS: Final = 10


def _token(chars: int) -> str:
    # os.urandom is what secrets uses; importing secrets costs hmac+hashlib at start-up
    bits = int.from_bytes(os.urandom((5 * chars + 7) // 8), "big") >> ((8 - 5 * chars % 8) % 8)
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(chars))


def new_run_id() -> str:
    """A fresh run id: 16 Crockford base32 characters, 80 bits of randomness."""
    return _token(RUN_ID_CHARS)


def host_name() -> str:
    """This machine's name, as socket.gethostname() says it (without loading socket on POSIX)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


EDIT_ROLE: Final = "edit"  # the writers of `runar tag/rename/note/set`: edits, not activity


def new_writer_id(role: str) -> str:
    """A fresh writer id such as ``sdk-3f9a1c2bxk``; the role says who writes."""
    safe_role = "".join(c for c in role.lower() if c.isalnum()) or "w"
    return f"{safe_role}-{_token(WRITER_TOKEN_CHARS)}"


_RUN_ID_SHAPE: Final = re.compile(f"[{ALPHABET}]{{{RUN_ID_CHARS}}}")


def is_run_id(text: str) -> bool:
    """True for strings shaped like a run id (used to ignore stray folders)."""
    return _RUN_ID_SHAPE.fullmatch(text) is not None


def short(run_id: str) -> str:
    """The abbreviated form shown to people."""
    return run_id[:SHORT_CHARS]


def resolve(ref: str, run_ids: Iterable[str], names: Mapping[str, list[str]]) -> str:
    """The one run id that ``ref`` names: an exact id, a unique id prefix, or a run name.

    Args:
        ref: what the user typed.
        run_ids: every run id in the store.
        names: run name → ids of the runs carrying it (newest first).
    """
    ref = ref.strip()
    if not ref:
        raise RunNotFound("an empty run reference matches nothing; see 'runar ls'")
    ids = list(run_ids)
    lowered = ref.lower()
    if lowered in ids:
        return lowered
    by_prefix = [i for i in ids if i.startswith(lowered)]
    by_name = list(names.get(ref, []))
    if len(by_prefix) == 1 and not by_name:
        return by_prefix[0]
    if len(by_name) == 1 and not by_prefix:
        return by_name[0]
    candidates = list(dict.fromkeys(by_prefix + by_name))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise AmbiguousRun(ref, [short(c) for c in candidates])
    raise RunNotFound(f"no run matches '{ref}'; see 'runar ls'")
