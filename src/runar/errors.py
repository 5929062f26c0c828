"""Every user-facing failure is a RunarError; the CLI prints its message as one line.

RunarError
├── StoreError          the .runar folder is missing, unreadable or not a store
├── RunNotFound         no run matches a reference (id prefix or name)
├── AmbiguousRun        a reference matches several runs; the message lists them
├── InvalidName         an artifact, tag or run name that runar refuses
├── InvalidValue        a metric or config value runar cannot record
├── UsageError          a command-line mistake the parser could not catch
└── InvalidQuery        a run filter (`lr<1e-3 tag:baseline`) with a token runar cannot read
"""

from __future__ import annotations


class RunarError(Exception):
    """A failure whose message names the culprit and what to do about it."""


class StoreError(RunarError):
    """The store cannot be found, created or read."""


class RunNotFound(RunarError):
    """No run matches the given reference."""


class AmbiguousRun(RunarError):
    """A reference matches more than one run."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:10]) + (" …" if len(candidates) > 10 else "")
        super().__init__(f"'{ref}' matches {len(candidates)} runs ({shown}); use a longer prefix")
        self.ref = ref
        self.candidates = candidates


class InvalidName(RunarError, ValueError):
    """A name (artifact, tag, run) that runar refuses to record."""


class InvalidValue(RunarError, ValueError):
    """A value that cannot be recorded as asked."""


class UsageError(RunarError):
    """A command-line mistake."""


class InvalidQuery(RunarError, ValueError):
    """A run filter that cannot be parsed; the message names the bad token."""
