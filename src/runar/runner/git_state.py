"""Where the code came from: commit, branch, remote and an exact snapshot of a dirty tree.

The snapshot is a commit object built through a temporary index (``GIT_INDEX_FILE``),
so the user's index, branch, HEAD and stash are never touched, and no ref is made: the
copy that counts is the one runar.runner.code_snapshot keeps inside the store, which
travels with it and which ``runar rm`` can delete without reaching into a repository.
Untracked files that look like secrets, other trackers' folders and big files are left
out, and listed. git runs as a subprocess: a handful of fast calls, no import cost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from runar.store import CODE_DIRNAME

if TYPE_CHECKING:
    from runar.events import GitState

UNTRACKED_MAX_FILE_BYTES: Final = 1 << 20  # bigger untracked files are data, not code
# untracked names never copied: credentials are not code, and a snapshot travels
SECRET_PATTERNS: Final = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*key*",
    "*secret*",
    "credentials*",
    ".netrc",
    "id_rsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
)
# untracked folders where other tools keep runs and outputs, not code
TRACKER_DIRS: Final = frozenset(
    {"wandb", "mlruns", "lightning_logs", "outputs", "multirun", ".runar"}
)
RUNARIGNORE: Final = ".runarignore"  # gitignore syntax, at the repository root
GIT_TIMEOUT_S: Final = 30.0
_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "runar",
    "GIT_AUTHOR_EMAIL": "runar@localhost",
    "GIT_COMMITTER_NAME": "runar",
    "GIT_COMMITTER_EMAIL": "runar@localhost",
}


@dataclass
class GitCapture:
    """The recorded state plus what the snapshot had to leave out (``path (why)``)."""

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
    return _git_outputs(_git_start(cwd, commands, env))


def _git_start(
    cwd: Path, commands: list[list[str]], env: dict[str, str] | None = None
) -> list[subprocess.Popen[bytes] | None]:
    """Start git commands side by side; _git_outputs() collects what they print."""
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
    return procs


def _git_outputs(procs: list[subprocess.Popen[bytes] | None]) -> list[str | None]:
    """Each started git command's stdout (None on failure), waiting for it."""
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


# one round of processes: porcelain status paths are relative to the root anyway
_PROBE: Final = (
    ("rev-parse", "--show-toplevel", "--git-path", "index"),
    ("rev-parse", "--verify", "-q", "HEAD"),
    ("symbolic-ref", "-q", "--short", "HEAD"),
    ("status", "--porcelain", "-z", "--untracked-files=all"),
    ("config", "--get-regexp", r"^remote\..*\.url$"),
)


@dataclass
class GitProbe:
    """capture_git()'s first round of git commands, started early to run while runar loads."""

    cwd: Path
    procs: list[subprocess.Popen[bytes] | None]


def start_probe(cwd: Path) -> GitProbe:
    """Start the git commands capture_git() needs; they run while the caller does other work."""
    return GitProbe(cwd, _git_start(cwd, [list(args) for args in _PROBE]))


def capture_git(
    cwd: Path, run_id: str, snapshot: bool = True, probe: GitProbe | None = None
) -> GitCapture | None:
    """The repository state at ``cwd``, or None outside a repository (or without git).

    ``probe``: the first round, already started at ``cwd`` by start_probe().
    """
    from runar.events import GitState

    if probe is not None and probe.cwd != cwd:
        _git_outputs(probe.procs)  # reaped, not used: it looked at another folder
        probe = None
    probe = probe or start_probe(cwd)
    head, commit, branch, status, remotes = _git_outputs(probe.procs)
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
        snapshot_dir=CODE_DIRNAME if snapshot else None,  # code_snapshot.keep() fills it
    )
    capture = GitCapture(state)
    if status and snapshot:
        kept, capture.skipped, excluded = sort_untracked(root, _untracked(status))
        state.untracked = kept
        state.snapshot = _snapshot(root, index, state.commit, run_id, excluded)
    return capture


def looks_secret(path: str) -> bool:
    """True when a name on the path matches SECRET_PATTERNS (``.env``, ``*.pem``, ``*key*``…)."""
    return any(fnmatch(part.lower(), pat) for part in path.split("/") for pat in SECRET_PATTERNS)


def sort_untracked(root: Path, paths: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(kept, skipped as ``path (why)``, pathspecs to exclude) for the untracked ``paths``."""
    kept: list[str] = []
    skipped: list[str] = []
    excluded: list[str] = []
    for path in paths:
        parts = path.split("/")
        tracker = next((i for i, p in enumerate(parts[:-1]) if p in TRACKER_DIRS), None)
        if tracker is not None:
            folder = "/".join(parts[: tracker + 1])
            if folder not in excluded:
                excluded.append(folder)
                skipped.append(f"{folder}/ (another tool's runs)")
        elif looks_secret(path):
            excluded.append(path)
            skipped.append(f"{path} (may hold secrets)")
        elif _size(root / path) > UNTRACKED_MAX_FILE_BYTES:
            excluded.append(path)
            skipped.append(f"{path} (over {UNTRACKED_MAX_FILE_BYTES >> 20} MiB)")
        else:
            kept.append(path)
    ignored = _runarignored(root, kept)
    for path in ignored:
        excluded.append(path)
        skipped.append(f"{path} ({RUNARIGNORE})")
    return [p for p in kept if p not in ignored], skipped, excluded


def _runarignored(root: Path, paths: list[str]) -> set[str]:
    """The paths a ``.runarignore`` at the root matches, with git's own gitignore rules."""
    rules = root / RUNARIGNORE
    if not paths or not rules.is_file():
        return set()
    # status already left out what .gitignore ignores: every hit here is .runarignore's
    command = ["git", "-c", f"core.excludesFile={rules}", "check-ignore", "--no-index"]
    try:
        done = subprocess.run(
            [*command, "-z", "--stdin"],
            cwd=root,
            input="\0".join(paths).encode("utf-8", errors="surrogateescape"),
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set(paths)  # cannot tell: leaving the files out is the safe side
    if done.returncode not in (0, 1):  # 1: nothing matched
        return set(paths)
    out = done.stdout.decode("utf-8", errors="surrogateescape")
    return {p for p in out.split("\0") if p}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _snapshot(
    root: Path, index: Path, parent: str | None, run_id: str, exclude: list[str]
) -> str | None:
    """A commit object of the working tree as it is now (unreferenced: the store keeps it)."""
    with tempfile.TemporaryDirectory(prefix="runar-index-") as tmp:
        tmp_index = Path(tmp) / "index"
        if index.is_file():
            # a warm stat cache: only changed files get hashed. copy2 keeps the index's
            # mtime, which git needs to tell a file edited in the same clock tick as the
            # index was written ("racily clean") from an unchanged one
            shutil.copy2(index, tmp_index)
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
    return sha or None
