"""Which run the environment names: the one this process joins instead of starting its own.

The runner gives its child RUNAR_RUN_ID and RUNAR_DIR, plus RUNAR_RUN_NAME when the user
named the run on runar's command line (``runar -n NAME``). A run this process starts
points the first two at itself for its own children (multiprocessing, subprocess) and
clears the third, which names the runner's run only; all three come back when it ends.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

ENV_RUN_ID: Final = "RUNAR_RUN_ID"
ENV_STORE: Final = "RUNAR_DIR"
ENV_RUN_NAME: Final = "RUNAR_RUN_NAME"  # `runar -n NAME`: the runner's run is named NAME
_CLAIMED: Final = (ENV_RUN_ID, ENV_STORE, ENV_RUN_NAME)

Saved = tuple[str | None, ...]  # the claimed variables' values before a run took them


def role() -> str:
    """This process's writer role: ``rank3`` in a distributed job, else ``sdk``."""
    rank = os.environ.get("RANK") or os.environ.get("LOCAL_RANK")
    return f"rank{rank}" if rank is not None and rank.isdigit() else "sdk"


def joined_run(owned: Mapping[str, int]) -> tuple[str, str] | None:
    """(run id, store root) of a run another process owns, from the environment.

    Args:
        owned: run id → pid of the process that started it, for this process's runs.
    """
    run_id = os.environ.get(ENV_RUN_ID)
    if not run_id or owned.get(run_id) == os.getpid():
        return None
    # a rank on another node given only the id (RUNAR_DIR forgotten) joins the run in the
    # store it would find anyway, instead of silently recording a run of its own
    root = os.environ.get(ENV_STORE)
    if not root:
        from runar.store import Store

        root = str(Store.discover().root)
    return run_id, root


def command_line_name() -> str | None:
    """The name the user gave the joined run with ``runar -n``, if any."""
    name = os.environ.get(ENV_RUN_NAME, "").strip()
    return name or None


def claim(run_id: str, root: str) -> Saved:
    """Point child processes at this process's own run; returns what to restore."""
    saved = tuple(os.environ.get(key) for key in _CLAIMED)
    os.environ[ENV_RUN_ID] = run_id
    os.environ[ENV_STORE] = root
    os.environ.pop(ENV_RUN_NAME, None)  # names the runner's run, not this one
    return saved


def release(run_id: str, saved: Saved) -> None:
    """Undo ``claim`` unless a later run took the environment over since."""
    if os.environ.get(ENV_RUN_ID) != run_id:
        return
    for key, value in zip(_CLAIMED, saved, strict=True):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
