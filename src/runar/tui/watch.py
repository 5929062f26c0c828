"""File-system events under the store's runs/ folder, debounced, as calls to ``on_change``.

No polling loop: watchfiles blocks on inotify/FSEvents. A store that does not exist yet
is waited for by watching its nearest existing ancestor (not recursively), so the
dashboard comes alive when the first run creates it. The index folder is never
watched: catch-up writes there, and would wake itself up forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.store import Store

DEBOUNCE_MS: Final = 50  # the SDK flushes every 100 ms; the table must follow within 1 s
STEP_MS: Final = 25
RUST_TIMEOUT_MS: Final = 500  # how often the watcher checks the stop event


def _nearest_existing(path: Path) -> Path:
    for folder in (path, *path.parents):
        if folder.is_dir():
            return folder
    return Path("/")


def watch_store(store: Store, stop: threading.Event, on_change: Callable[[], None]) -> None:
    """Call ``on_change`` after each burst of changes to the store's runs, until ``stop``."""
    import watchfiles

    while not stop.is_set():
        target = store.runs_dir
        if target.is_dir():
            for _ in watchfiles.watch(
                target,
                stop_event=stop,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                rust_timeout=RUST_TIMEOUT_MS,
                yield_on_timeout=False,
                raise_interrupt=False,
            ):
                on_change()
                if not target.is_dir():
                    break  # the store was removed: wait for it to come back
            if not target.is_dir():
                on_change()
            continue
        ancestor = _nearest_existing(target.parent)
        for _ in watchfiles.watch(
            ancestor,
            stop_event=stop,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            rust_timeout=RUST_TIMEOUT_MS,
            recursive=False,
            yield_on_timeout=True,  # also covers a store created just before watching began
            raise_interrupt=False,
        ):
            if _nearest_existing(target) != ancestor:
                on_change()
                break  # one level closer to runs/: watch from there
