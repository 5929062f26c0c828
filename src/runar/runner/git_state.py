"""Where the code came from: repository, commit, branch, remote and what is not committed.

One round of git processes (start_probe) answers it, started by the CLI as early as it
can; read_probe() reads the answers, capture_git() adds the snapshot of a dirty tree
(git_snapshot.py) and makes the recorded GitState. git runs as subprocesses: a handful
of fast calls, no import cost, and nothing of the user's repository is changed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from runar.records import Record
from runar.store import CODE_DIRNAME

if TYPE_CHECKING:
    from runar.events import GitState

GIT_TIMEOUT_S: Final = 30.0
# the empty tree's id in each object format git knows: a patch's base without a commit
EMPTY_TREES: Final = {
    "sha1": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}


class GitCapture(Record):
    """The recorded state plus what the snapshot had to leave out (``path (why)``)."""

    __slots__ = ("empty_tree", "patch", "skipped", "state")

    def __init__(
        self,
        state: GitState,
        skipped: list[str] | None = None,
        empty_tree: str | None = None,  # the empty tree's id in this repository's object format
        patch: bytes | None = None,  # ``git diff --binary`` from the commit to the snapshot
    ) -> None:
        self.state = state
        self.skipped = skipped if skipped is not None else []
        self.empty_tree = empty_tree
        self.patch = patch


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


def git_text(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str | None:
    """stdout of a git command, or None when git fails or is missing."""
    return git_outputs(start_git(cwd, [list(args)], env))[0]


def start_git(
    cwd: Path, commands: list[list[str]], env: dict[str, str] | None = None
) -> list[subprocess.Popen[bytes] | None]:
    """Start git commands side by side; git_outputs() collects what they print."""
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


def git_outputs(procs: list[subprocess.Popen[bytes] | None]) -> list[str | None]:
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


class _Status(Record):
    """``git status --porcelain=v2 --branch``, read: HEAD and what is not committed."""

    __slots__ = ("branch", "changed", "commit", "untracked")

    def __init__(self) -> None:
        self.commit: str | None = None
        self.branch: str | None = None
        self.changed: list[str] = []  # every listed path, renames' sources too
        self.untracked: list[str] = []


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


# one round of processes: porcelain status paths are relative to the root anyway, and its
# v2 headers carry HEAD's commit and branch
_PROBE: Final = (
    ("rev-parse", "--show-toplevel", "--git-path", "index", "--show-object-format"),
    ("status", "--porcelain=v2", "-z", "--branch", "--no-ahead-behind", "--untracked-files=all"),
    ("config", "--get-regexp", r"^remote\..*\.url$"),
)


class GitProbe(Record):
    """capture_git()'s first round of git commands, started early to run while runar loads."""

    __slots__ = ("cwd", "procs")

    def __init__(self, cwd: Path, procs: list[subprocess.Popen[bytes] | None]) -> None:
        self.cwd = cwd
        self.procs = procs


def start_probe(cwd: Path) -> GitProbe:
    """Start the git commands capture_git() needs; they run while the caller does other work."""
    return GitProbe(cwd, start_git(cwd, [list(args) for args in _PROBE]))


class GitHead(Record):
    """What the first round of git said: the repository, its HEAD and what is not committed.

    Light on purpose (no runar.events): the runner reads it, prints its header and starts
    the script before the snapshot is taken and the journal is loaded.
    """

    __slots__ = (
        "branch",
        "changed",
        "commit",
        "dirty",
        "empty_tree",
        "excluded",
        "index",
        "remote",
        "root",
        "skipped",
        "untracked",
    )  # fmt: skip

    def __init__(
        self,
        root: Path,
        index: Path,
        commit: str | None,
        branch: str | None,
        dirty: bool,
        remote: str | None,
        changed: list[str],  # every path status listed, as it stood before the script started
        empty_tree: str | None = None,
    ) -> None:
        self.root, self.index, self.commit, self.branch = root, index, commit, branch
        self.dirty, self.remote, self.changed, self.empty_tree = dirty, remote, changed, empty_tree
        self.untracked: list[str] = []  # kept in the snapshot
        self.skipped: list[str] = []  # left out, as ``path (why)``
        self.excluded: list[str] = []  # pathspecs of what is left out


def read_probe(probe: GitProbe, sort: bool = True) -> GitHead | None:
    """The first round's answers, waiting for them; None outside a repository.

    ``sort``: decide which untracked files the snapshot keeps (it may run git check-ignore).
    """
    head, status, remotes = git_outputs(probe.procs)
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
        from runar.runner.git_snapshot import sort_untracked

        kept, found.skipped, found.excluded = sort_untracked(root, listed.untracked)
        found.untracked = kept
    return found


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
        git_outputs(probe.procs)  # reaped, not used: it looked at another folder
        probe = None
    from runar.runner.git_snapshot import finish_snapshot, snapshot_patch, start_snapshot

    head = read_probe(probe or start_probe(cwd), sort=snapshot)
    if head is None:
        return None
    job = start_snapshot(head, run_id) if snapshot else None
    taken = patch = None
    if job is not None:
        try:
            taken = finish_snapshot(job)
        finally:
            patch = snapshot_patch(job)
    return git_capture(head, taken, with_snapshot=snapshot, patch=patch)
