"""Read a remote through a local cache store: ``.runar/cache/remotes/<name>/``.

The cache is a store of its own (runs pulled from the bucket, its own machine-local
index), so every reader works on it unchanged: ``runar ls --remote origin``,
``runar serve --remote origin``, or ``frames.runs(store=cached_store(store, "origin"))``.
Each use pulls what is new first (one listing when nothing is).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.errors import RunarError
from runar.remote.bucket import open_bucket
from runar.remote.config import resolve_remote
from runar.remote.pull import pull
from runar.remote.report import RemoteReport
from runar.store import Store

CACHE_DIRNAME: Final = "remotes"
REPULL_S: Final = 5.0  # `runar serve --remote`: how often the cache is caught up
_PLAIN_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def cache_root(store: Store, name: str) -> Path:
    """Where the cache of a remote (a name, or a URL given directly) lives."""
    folder = name if _PLAIN_NAME.match(name) else hashlib.sha256(name.encode()).hexdigest()[:16]
    return store.root / "cache" / CACHE_DIRNAME / folder / ".runar"


def cached_store(store: Store, ref: str | None = None) -> tuple[Store, RemoteReport]:
    """The cache store of a remote, caught up with the bucket; and what the pull did."""
    name, url = resolve_remote(store, ref)
    cache = Store(cache_root(store, name))
    report = pull(cache, open_bucket(url))
    return cache, report


def keep_pulling_into(
    store: Store, ref: str | None, say: Callable[[str], None], every: float = REPULL_S
) -> threading.Thread:
    """Pull the remote into its cache every ``every`` seconds in a daemon thread (serve)."""

    def loop() -> None:
        warned = False
        while True:
            time.sleep(every)
            try:
                cached_store(store, ref)
                warned = False
            except RunarError as exc:
                if not warned:
                    say(f"runar: pulling from {ref} failed ({exc}); retrying")
                warned = True

    thread = threading.Thread(target=loop, name="runar-remote-pull", daemon=True)
    thread.start()
    return thread
