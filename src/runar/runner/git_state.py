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
# how the snapshot's patch is written: exact bytes, no renames, no user diff drivers
PATCH_DIFF: Final = (
    "--binary",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "runar",
    "GIT_AUTHOR_EMAIL": "runar@localhost",
    "GIT_COMMITTER_NAME": "runar",
    "GIT_COMMITTER_EMAIL": "runar@localhost",
}


# the empty tree's id in each object format git knows: a patch's base without a commit
EMPTY_TREES: Final = {
    "sha1": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}


@dataclass
class GitCapture:
    """The recorded state plus what the snapshot had to leave out (``path (why)``)."""

    state: GitState
    skipped: list[str] = field(default_factory=list)
    empty_tree: str | None = None  # the empty tree's id in this repository's object format
    patch: bytes | None = None  # ``git diff --binary`` from the commit to the snapshot, if made


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


@dataclass
class _Status:
    """``git status --porcelain=v2 --branch``, read: HEAD and what is not committed."""

    commit: str | None = None
    branch: str | None = None
    changed: list[str] = field(default_factory=list)  # every listed path, renames' sources too
    untracked: list[str] = field(default_factory=list)


# fields before the path in each kind of v2 entry: ordinary, renamed or copied, unmerged
_PATH_AFTER: Final = {"1": 8, "2": 9, "u": 10}


def _read_status(text: str) -> _Status:
    """Parse ``status --porcelain=v2 -z --branch`` (one process instead of three)."""
    found = _Status()
    fields = iter(text.split("\0"))
    for entry in fields:
        if entry.startswith("# branch.oid "):
            oid = entry[len("# branch.oid ") :]
            found.commit = None if oid == "(initial)" else oid
        elif entry.startswith("# branch.head "):
            head = entry[len("# branch.head ") :]
            found.branch = None if head == "(detached)" else head
        elif entry.startswith("? "):
            found.untracked.append(entry[2:])
            found.changed.append(entry[2:])
        elif entry[:1] in _PATH_AFTER:
            found.changed.append(entry.split(" ", _PATH_AFTER[entry[0]])[-1])
            if entry[0] == "2":  # a rename or copy: its source follows as a field of its own
                source = next(fields, "")
                if source:
                    found.changed.append(source)
    return found


def _under(path: str, excluded: list[str]) -> bool:
    return any(path == ex or path.startswith(ex + "/") for ex in excluded)


# one round of processes: porcelain status paths are relative to the root anyway, and its
# v2 headers carry HEAD's commit and branch
_PROBE: Final = (
    ("rev-parse", "--show-toplevel", "--git-path", "index", "--show-object-format"),
    ("status", "--porcelain=v2", "-z", "--branch", "--no-ahead-behind", "--untracked-files=all"),
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


@dataclass
class GitHead:
    """What the first round of git said: the repository, its HEAD and what is not committed.

    Light on purpose (no runar.events): the runner reads it, prints its header and starts
    the script before the snapshot is taken and the journal is loaded.
    """

    root: Path
    index: Path
    commit: str | None
    branch: str | None
    dirty: bool
    remote: str | None
    changed: list[str]  # every path status listed, as it stood before the script started
    untracked: list[str] = field(default_factory=list)  # kept in the snapshot
    skipped: list[str] = field(default_factory=list)  # left out, as ``path (why)``
    excluded: list[str] = field(default_factory=list)  # pathspecs of what is left out
    empty_tree: str | None = None


def read_probe(probe: GitProbe, sort: bool = True) -> GitHead | None:
    """The first round's answers, waiting for them; None outside a repository.

    ``sort``: decide which untracked files the snapshot keeps (it may run git check-ignore).
    """
    head, status, remotes = _git_outputs(probe.procs)
    if head is None:
        return None
    root_line, index_line, format_line, *_ = [*head.strip().split("\n"), "", ""]
    root = Path(root_line)
    index = Path(index_line) if Path(index_line).is_absolute() else probe.cwd / index_line
    listed = _read_status(status or "")
    found = GitHead(
        root=root,
        index=index,
        commit=listed.commit,
        branch=listed.branch,
        dirty=bool(listed.changed),
        remote=_remote(remotes or ""),
        changed=listed.changed,
        empty_tree=EMPTY_TREES.get(format_line.strip()),  # an old git prints the flag back
    )
    if listed.changed and sort:
        kept, found.skipped, found.excluded = sort_untracked(root, listed.untracked)
        found.untracked = kept
    return found


@dataclass
class SnapshotJob:
    """A snapshot under way: ``git add`` of the listed paths into a private index copy."""

    head: GitHead
    run_id: str
    folder: Path  # holds the index copy and the pathspec list; removed by finish()
    env: dict[str, str]
    add: subprocess.Popen[bytes] | None  # None: nothing to add, the index copy is the tree


def start_snapshot(head: GitHead, run_id: str) -> SnapshotJob | None:
    """Start the snapshot of ``head``'s dirty tree (None when clean); finish_snapshot() ends it.

    Only the paths status listed are added, so what the script writes once it runs
    (checkpoints, logs) stays out even though the snapshot is taken alongside it.
    """
    if not head.dirty:
        return None
    folder = Path(tempfile.mkdtemp(prefix="runar-index-"))
    tmp_index = folder / "index"
    if head.index.is_file():
        # a warm stat cache: only changed files get hashed. copy2 keeps the index's
        # mtime, which git needs to tell a file edited in the same clock tick as the
        # index was written ("racily clean") from an unchanged one
        shutil.copy2(head.index, tmp_index)
    env = {**os.environ, **_IDENTITY, "GIT_INDEX_FILE": str(tmp_index)}
    gone = {p for p in head.untracked if not os.path.lexists(head.root / p)}  # the script's doing
    paths = [p for p in head.changed if p not in gone and not _under(p, head.excluded)]
    job = SnapshotJob(head, run_id, folder, env, None)
    if paths:
        listing = folder / "paths"
        listing.write_bytes("\0".join(paths).encode("utf-8", errors="surrogateescape"))
        command = ["add", "-A", f"--pathspec-from-file={listing}", "--pathspec-file-nul"]
        job.add = _git_start(head.root, [command], {**env, "GIT_LITERAL_PATHSPECS": "1"})[0]
        if job.add is None:
            job.add = _git_start(head.root, [_whole_tree_add(head)], env)[0]
    return job


def _whole_tree_add(head: GitHead) -> list[str]:
    """``git add -A`` of the whole tree but what is left out (racing the script's own files)."""
    return ["add", "-A", "--", ".", *(f":(exclude,literal){p}" for p in head.excluded)]


def finish_snapshot(job: SnapshotJob) -> tuple[str | None, bytes | None]:
    """The snapshot commit and the patch from its base to it (each None when git failed)."""
    head, env = job.head, job.env
    try:
        added = job.add is None or _git_outputs([job.add])[0] is not None
        # an old git without --pathspec-from-file: the whole tree, as before
        if not added and _git(head.root, *_whole_tree_add(head), env=env) is None:
            return None, None
        tree = (_git(head.root, "write-tree", env=env) or "").strip()
        if not tree:
            return None, None
        message = f"runar snapshot of the working tree for run {job.run_id}"
        parents = ["-p", head.commit] if head.commit else []
        commit = ["commit-tree", tree, *parents, "-m", message]
        base = head.commit or head.empty_tree
        # the patch compares the base with the index copy, which is the snapshot's tree:
        # made at the same time as the commit instead of after it
        diff = ["diff", "--cached", *PATCH_DIFF, base, "--"] if base else None
        made = _git_start(head.root, [commit], env)[0]
        patching = _git_start(head.root, [diff], env)[0] if diff is not None else None
        sha, patch = _git_outputs([made])[0], _git_bytes(patching)
        return (sha or "").strip() or None, patch
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)


def _git_bytes(proc: subprocess.Popen[bytes] | None) -> bytes | None:
    """A started git command's raw stdout, or None when it failed."""
    if proc is None:
        return None
    try:
        out, _ = proc.communicate(timeout=GIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return out if proc.returncode == 0 else None


def snapshot_head(head: GitHead, run_id: str) -> str | None:
    """The snapshot commit of ``head``'s dirty tree, or None when clean (or git fails)."""
    job = start_snapshot(head, run_id)
    return finish_snapshot(job)[0] if job is not None else None


def git_capture(
    head: GitHead,
    snapshot: str | None,
    with_snapshot: bool = True,
    patch: bytes | None = None,
) -> GitCapture:
    """The recorded GitState (runar.events loads here) for a probe's answers and snapshot."""
    from runar.events import GitState

    state = GitState(
        commit=head.commit,
        branch=head.branch,
        dirty=head.dirty,
        remote=head.remote,
        root=str(head.root),
        snapshot_dir=CODE_DIRNAME if with_snapshot else None,  # code_snapshot.keep() fills it
        snapshot=snapshot,
        untracked=list(head.untracked) if with_snapshot else [],
    )
    capture = GitCapture(state, list(head.skipped) if with_snapshot else [], head.empty_tree)
    capture.patch = patch if snapshot else None
    return capture


def capture_git(
    cwd: Path, run_id: str, snapshot: bool = True, probe: GitProbe | None = None
) -> GitCapture | None:
    """The repository state at ``cwd``, or None outside a repository (or without git).

    ``probe``: the first round, already started at ``cwd`` by start_probe().
    """
    if probe is not None and probe.cwd != cwd:
        _git_outputs(probe.procs)  # reaped, not used: it looked at another folder
        probe = None
    head = read_probe(probe or start_probe(cwd), sort=snapshot)
    if head is None:
        return None
    job = start_snapshot(head, run_id) if snapshot else None
    taken, patch = finish_snapshot(job) if job is not None else (None, None)
    return git_capture(head, taken, with_snapshot=snapshot, patch=patch)


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
