"""The exact snapshot of a dirty tree, and which untracked files it keeps.

The snapshot is a commit object built through a temporary index (``GIT_INDEX_FILE``),
so the user's index, branch, HEAD and stash are never touched, and no ref is made: the
copy that counts is the one runar.runner.code_snapshot keeps inside the store, which
travels with it and which ``runar rm`` can delete without reaching into a repository.
Untracked files that look like secrets, other trackers' folders and big files are left
out, and listed. Only the paths git's first round listed are added, so what the script
writes once it runs stays out although the snapshot is taken alongside it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Final

from runar.runner.git_state import GIT_TIMEOUT_S, GitHead, git_outputs, git_text, start_git

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


def _under(path: str, excluded: list[str]) -> bool:
    return any(path == ex or path.startswith(ex + "/") for ex in excluded)


@dataclass
class SnapshotJob:
    """A snapshot under way: ``git add`` of the listed paths into a private index copy."""

    head: GitHead
    run_id: str
    folder: Path  # holds the index copy and the pathspec list; removed by finish()
    env: dict[str, str]
    add: subprocess.Popen[bytes] | None  # None: nothing to add, the index copy is the tree
    patching: subprocess.Popen[bytes] | None = None  # the diff, started by finish_snapshot()


def start_snapshot(head: GitHead, run_id: str) -> SnapshotJob | None:
    """Start the snapshot of ``head``'s dirty tree (None when clean); finish_snapshot() ends it.

    Only the paths status listed are added, so what the script writes once it runs
    (checkpoints, logs) stays out even though the snapshot is taken alongside it.
    """
    if not head.dirty:
        return None
    folder = _scratch(run_id)
    tmp_index = folder / "index"
    if head.index.is_file():
        _copy_index(head.index, tmp_index)
    env = {**os.environ, **_IDENTITY, "GIT_INDEX_FILE": str(tmp_index)}
    gone = {p for p in head.untracked if not os.path.lexists(head.root / p)}  # the script's doing
    paths = [p for p in head.changed if p not in gone and not _under(p, head.excluded)]
    job = SnapshotJob(head, run_id, folder, env, None)
    if paths:
        listing = folder / "paths"
        listing.write_bytes("\0".join(paths).encode("utf-8", errors="surrogateescape"))
        command = ["add", "-A", f"--pathspec-from-file={listing}", "--pathspec-file-nul"]
        job.add = start_git(head.root, [command], {**env, "GIT_LITERAL_PATHSPECS": "1"})[0]
        if job.add is None:
            job.add = start_git(head.root, [_whole_tree_add(head)], env)[0]
    return job


def _scratch(run_id: str) -> Path:
    """A private folder for the index copy; named by the run id, which is random already."""
    try:  # tempfile, with its random names, would cost ~1 ms more to import
        folder = Path(os.environ.get("TMPDIR") or "/tmp") / f"runar-index-{run_id}-{os.getpid()}"
        folder.mkdir(mode=0o700)
    except OSError:
        import tempfile

        return Path(tempfile.mkdtemp(prefix="runar-index-"))
    return folder


def _copy_index(index: Path, copy: Path) -> None:
    """Copy the user's index with its mtime (shutil, and its bz2 and lzma, stay unloaded).

    A warm stat cache: only changed files get hashed. The mtime is what git needs to
    tell a file edited in the same clock tick as the index was written ("racily clean")
    from an unchanged one; taken before the bytes, so a rewrite meanwhile errs on the side
    of hashing more files, never fewer.
    """
    stat = index.stat()
    with open(index, "rb") as source, open(copy, "wb") as target:
        while chunk := source.read(1 << 20):
            target.write(chunk)
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _remove(folder: Path) -> None:
    """Remove the scratch folder: the index copy, the path list, git's leftovers."""
    try:
        for name in os.listdir(folder):
            os.unlink(folder / name)
        os.rmdir(folder)
    except OSError:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _whole_tree_add(head: GitHead) -> list[str]:
    """``git add -A`` of the whole tree but what is left out (racing the script's own files)."""
    return ["add", "-A", "--", ".", *(f":(exclude,literal){p}" for p in head.excluded)]


def finish_snapshot(job: SnapshotJob) -> str | None:
    """The snapshot commit (None when git failed); snapshot_patch() then gives its patch."""
    head, env = job.head, job.env
    added = job.add is None or git_outputs([job.add])[0] is not None
    # an old git without --pathspec-from-file: the whole tree, as before
    if not added and git_text(head.root, *_whole_tree_add(head), env=env) is None:
        return None
    base = head.commit or head.empty_tree
    if base:
        # the patch compares the base with the index copy, which is the snapshot's tree:
        # made while the tree and the commit are written, not after them
        diff = ["diff", "--cached", *PATCH_DIFF, base, "--"]
        job.patching = start_git(head.root, [diff], env)[0]
    tree = (git_text(head.root, "write-tree", env=env) or "").strip()
    if not tree:
        return None
    message = f"runar snapshot of the working tree for run {job.run_id}"
    parents = ["-p", head.commit] if head.commit else []
    sha = git_text(head.root, "commit-tree", tree, *parents, "-m", message, env=env)
    return (sha or "").strip() or None


def snapshot_patch(job: SnapshotJob) -> bytes | None:
    """The patch from the snapshot's base to it (None when git failed); cleans up the job."""
    try:
        return git_output(job.patching)
    finally:
        _remove(job.folder)


def git_output(proc: subprocess.Popen[bytes] | None) -> bytes | None:
    """A started git command's raw stdout, or None when it failed (or took too long)."""
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
    if job is None:
        return None
    try:
        return finish_snapshot(job)
    finally:
        snapshot_patch(job)


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
