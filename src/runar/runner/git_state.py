"""Where the code came from: commit, branch, remote and an exact snapshot of a dirty tree.

The snapshot is a commit object built through a temporary index (``GIT_INDEX_FILE``),
so the user's index, branch, HEAD and stash are never touched; it is kept alive under
``refs/runar/<run_id>`` and can be checked out or diffed like any commit. git runs as
a subprocess: a handful of fast calls, no import cost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from runar.events import GitState

SNAPSHOT_REF_PREFIX: Final = "refs/runar/"
SNAPSHOT_MAX_FILE_BYTES: Final = 50 << 20  # bigger untracked files are data, not code
GIT_TIMEOUT_S: Final = 30.0
_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "runar",
    "GIT_AUTHOR_EMAIL": "runar@localhost",
    "GIT_COMMITTER_NAME": "runar",
    "GIT_COMMITTER_EMAIL": "runar@localhost",
}


@dataclass
class GitCapture:
    """The recorded state plus what the snapshot had to leave out."""

    state: GitState
    skipped: list[str] = field(default_factory=list)


def strip_credentials(url: str) -> str:
    """The URL without user:password@ (https) or token@; scp-style ``git@host:`` is kept."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    keep_user = parts.scheme == "ssh" and parts.password is None
    netloc = f"{parts.username}@{host}" if keep_user else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str | None:
    """stdout of a git command, or None when git fails or is missing."""
    return _git_parallel(cwd, [list(args)], env)[0]


def _git_parallel(
    cwd: Path, commands: list[list[str]], env: dict[str, str] | None = None
) -> list[str | None]:
    """stdout of several git commands run side by side (each None on failure)."""
    procs: list[subprocess.Popen[bytes] | None] = []
    for args in commands:
        try:
            procs.append(
                subprocess.Popen(
                    ["git", "--no-optional-locks", *args],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError:
            procs.append(None)
    outputs: list[str | None] = []
    for proc in procs:
        if proc is None:
            outputs.append(None)
            continue
        try:
            out, _ = proc.communicate(timeout=GIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            outputs.append(None)
            continue
        ok = proc.returncode == 0
        outputs.append(out.decode("utf-8", errors="surrogateescape") if ok else None)
    return outputs


def _remote(listing: str) -> str | None:
    urls: dict[str, str] = {}
    for line in listing.splitlines():
        key, _, url = line.partition(" ")
        urls[key.removeprefix("remote.").removesuffix(".url")] = url
    url = urls.get("origin") or next(iter(urls.values()), None)
    return strip_credentials(url) if url else None


def _untracked(status: str) -> list[str]:
    return [entry[3:] for entry in status.split("\0") if entry.startswith("?? ")]


def capture_git(cwd: Path, run_id: str, snapshot: bool = True) -> GitCapture | None:
    """The repository state at ``cwd``, or None outside a repository (or without git)."""
    # one round of processes: porcelain status paths are relative to the root anyway
    head, commit, branch, status, remotes = _git_parallel(
        cwd,
        [
            ["rev-parse", "--show-toplevel", "--git-path", "index"],
            ["rev-parse", "--verify", "-q", "HEAD"],
            ["symbolic-ref", "-q", "--short", "HEAD"],
            ["status", "--porcelain", "-z", "--untracked-files=all"],
            ["config", "--get-regexp", r"^remote\..*\.url$"],
        ],
    )
    if head is None:
        return None
    root_line, _, index_line = head.strip().partition("\n")
    root = Path(root_line)
    index = Path(index_line) if Path(index_line).is_absolute() else cwd / index_line
    status = status or ""
    state = GitState(
        commit=(commit or "").strip() or None,
        branch=(branch or "").strip() or None,
        dirty=bool(status),
        remote=_remote(remotes or ""),
        root=str(root),
    )
    capture = GitCapture(state)
    if status and snapshot:
        big = [p for p in _untracked(status) if _size(root / p) > SNAPSHOT_MAX_FILE_BYTES]
        capture.skipped = big
        state.snapshot = _snapshot(root, index, state.commit, run_id, big)
    return capture


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _snapshot(
    root: Path, index: Path, parent: str | None, run_id: str, exclude: list[str]
) -> str | None:
    """A commit of the working tree as it is now, kept under refs/runar/<run_id>."""
    with tempfile.TemporaryDirectory(prefix="runar-index-") as tmp:
        tmp_index = Path(tmp) / "index"
        if index.is_file():
            shutil.copyfile(index, tmp_index)  # a warm stat cache: only changed files get hashed
        env = {**os.environ, **_IDENTITY, "GIT_INDEX_FILE": str(tmp_index)}
        pathspec = [".", *(f":(exclude,literal){p}" for p in exclude)]
        if _git(root, "add", "-A", "--", *pathspec, env=env) is None:
            return None
        tree = (_git(root, "write-tree", env=env) or "").strip()
        if not tree:
            return None
        message = f"runar snapshot of the working tree for run {run_id}"
        parents = ["-p", parent] if parent else []
        sha = (_git(root, "commit-tree", tree, *parents, "-m", message, env=env) or "").strip()
    if not sha:
        return None
    if _git(root, "update-ref", f"{SNAPSHOT_REF_PREFIX}{run_id}", sha) is None:
        return None
    return sha
