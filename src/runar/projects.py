"""Which project a run belongs to when nobody says: the rule shared by runner, SDK and readers.

A run records its project in ``RunStarted.project``: ``-p/--project`` or ``init(project=)``
first, then ``RUNAR_PROJECT``, then the name of the git repository it runs in (a linked
worktree counts as its main checkout), then the name of the store's folder. Runs recorded
before projects existed carry none; readers show them under the store folder's name,
which is what the rule gives for a store at the root of its repository. Standard library
only: the SDK imports this at run start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ENV_PROJECT: Final = "RUNAR_PROJECT"
STORE_DIRNAME: Final = ".runar"


def store_project(store_root: Path) -> str:
    """The store's own name: the folder holding ``.runar``, or the store folder itself."""
    root = Path(store_root).absolute()
    name = root.parent.name if root.name == STORE_DIRNAME else root.name
    return name or str(root)


def git_root(start: Path) -> Path | None:
    """The top folder of the git repository (or worktree) holding ``start``, found by ``.git``."""
    here = Path(start).absolute()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repository_name(root: Path) -> str:
    """The name of the repository checked out at ``root``; a worktree's is its main checkout's."""
    # `git worktree add ../repo-feature` writes a .git file pointing into repo/.git/worktrees/:
    # the feature branch's runs belong to the repository's project, not to a folder's
    try:
        pointer = (root / ".git").read_text(errors="replace")
    except OSError:  # a folder (the main checkout), or no .git at all
        return root.name
    gitdir = pointer.partition("gitdir:")[2].strip()
    main, sep, _ = gitdir.replace("\\", "/").rpartition("/.git/worktrees/")
    return Path(main).name if sep and Path(main).name else root.name


def default_project(
    store_root: Path,
    explicit: str | None = None,
    repo_root: str | Path | None = None,
    cwd: Path | None = None,
) -> str:
    """The project a new run joins.

    Args:
        store_root: the store's ``.runar`` folder.
        explicit: ``-p/--project`` or ``init(project=...)``.
        repo_root: the git repository's top folder when the caller already knows it;
            otherwise found upwards from ``cwd`` (no git process).
        cwd: where the run starts (the current folder when None).
    """
    for candidate in (explicit, os.environ.get(ENV_PROJECT)):
        if candidate and candidate.strip():
            return candidate.strip()
    root = Path(repo_root) if repo_root else git_root(cwd or Path.cwd())
    if root is not None and root.name:
        return repository_name(root)
    return store_project(store_root)


def shown_project(recorded: str | None, store_root: Path) -> str:
    """The project a run is listed under: its own, or the store's name for older runs."""
    return recorded or store_project(store_root)
