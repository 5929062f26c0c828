"""The run's exact code, kept inside the store so it travels with ``rsync .runar/``.

In a git repository, ``runs/<id>/code/`` holds:
    meta.json       commit, branch, remote, the snapshot's untracked files and what was left out
    diff.patch      ``git diff --binary <commit> <snapshot>``: staged, unstaged and untracked
                    changes in one patch; ``git apply`` on a checkout of the commit restores
                    the tree exactly
    commits.bundle  only when the commit is on no remote-tracking branch: the commits the
                    remotes lack (everything, when there is no remote), so the patch has a
                    base to apply to on another machine
Outside a repository it holds ``meta.json`` and ``files/``: the script, the ``.py`` files
it imports from its own folder, and the code and config files inside that folder it names
(the configurator.py nanoGPT reads and executes, ``train.py config/small.py``), at their relative
paths and capped in size.

Every file is written once (temp name, then rename) and made read-only: ``runar sync``
copies it like an artifact and never sees it change.
"""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path
from typing import Final

from runar.runner.git_snapshot import PATCH_DIFF, git_output, looks_secret
from runar.runner.git_state import GIT_TIMEOUT_S, GitCapture

META_NAME: Final = "meta.json"
PATCH_NAME: Final = "diff.patch"
BUNDLE_NAME: Final = "commits.bundle"
FILES_DIRNAME: Final = "files"
BUNDLE_MAX_BYTES: Final = 20 << 20  # a bigger unpushed history is a repository, not a snapshot
PATCH_MAX_BYTES: Final = 64 << 20
SCRIPT_FILES_MAX_BYTES: Final = 1 << 20  # the script and its sibling modules, all together
# what a script names that it needs to run again: code and configuration, not data
NAMED_FILE_SUFFIXES: Final = (".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini")
META_FORMAT: Final = 1
_DIFF: Final = ("diff", *PATCH_DIFF)


def _meta_bytes(meta: dict[str, object]) -> bytes:
    """meta.json's text: msgspec, which the runner has loaded already (json would cost ~1.5 ms)."""
    import msgspec

    return msgspec.json.format(msgspec.json.encode(meta), indent=1)


class _Skip(Exception):
    """A part of the snapshot that is left out; the message says why."""


def keep(code_dir: Path, git: GitCapture | None, command: list[str]) -> list[str]:
    """Write the run's code into ``code_dir``; warning lines for what could not be kept."""
    try:
        if git is not None:
            return _keep_git(code_dir, git)
        position = _script_position(command)
        if position is None:
            return []
        return _keep_files(code_dir, Path(command[position]), command[position + 1 :])
    except OSError as exc:
        return [f"runar: the code snapshot in {code_dir} is incomplete: {exc}"]


def _write_once(path: Path, data: bytes) -> None:
    """Publish ``data`` at ``path`` through a temp file; read-only, since it never changes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o444)
    os.replace(tmp, path)


def git_bytes(root: str, *args: str, env: dict[str, str] | None = None) -> bytes | None:
    """stdout of a git command in ``root``, or None when git fails or is missing."""
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _empty_tree(root: str) -> str | None:
    """The empty tree's id in this repository's hash (sha1 or sha256)."""
    out = git_bytes(root, "hash-object", "-t", "tree", "/dev/null")
    return out.decode().strip() if out else None


def _patch(root: str, base: str, snapshot: str, made: bytes | None = None) -> bytes:
    """The patch from ``base`` to ``snapshot``: ``made`` when the capture already has it."""
    patch = made if made is not None else git_bytes(root, *_DIFF, base, snapshot, "--")
    if patch is None:
        raise _Skip(f"{PATCH_NAME} (git diff failed)")
    if len(patch) > PATCH_MAX_BYTES:
        raise _Skip(f"{PATCH_NAME} (over {PATCH_MAX_BYTES >> 20} MiB)")
    return patch


def _unpushed(root: str, commit: str) -> subprocess.Popen[bytes] | None:
    """Start asking git for a commit no remote has; it prints one when there is any."""
    try:
        return subprocess.Popen(
            ["git", "--no-optional-locks", "rev-list", "-n1", commit, "--not", "--remotes"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _bundle(root: str, commit: str, code_dir: Path, unpushed: bytes | None) -> bool:
    """Bundle the commits no remote has; False when every one of them is on a remote.

    ``unpushed``: what ``rev-list -n1 COMMIT --not --remotes`` printed.
    """
    if not unpushed:
        return False  # pushed: the patch's base can be fetched
    tmp = code_dir / f"{BUNDLE_NAME}.tmp"
    # a bundle needs a ref name; HEAD is the commit unless it moved since the capture
    made = git_bytes(root, "bundle", "create", "-q", str(tmp), "HEAD", "--not", "--remotes")
    try:
        heads = git_bytes(root, "bundle", "list-heads", str(tmp)) if made is not None else None
        if heads is None or not heads.startswith(commit.encode()):
            raise _Skip(f"{BUNDLE_NAME} (HEAD moved or git bundle failed)")
        size = tmp.stat().st_size
        if size > BUNDLE_MAX_BYTES:
            raise _Skip(f"{BUNDLE_NAME} (unpushed history over {BUNDLE_MAX_BYTES >> 20} MiB)")
        os.chmod(tmp, 0o444)
        os.replace(tmp, code_dir / BUNDLE_NAME)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _keep_git(code_dir: Path, git: GitCapture) -> list[str]:
    state = git.state
    root = state.root or "."
    code_dir.mkdir(parents=True, exist_ok=True)
    skipped = list(git.skipped)
    patch = bundle = False
    # whether the commit is pushed is asked while the patch is made: two git calls at once
    unpushed = _unpushed(root, state.commit) if state.commit else None
    try:
        try:
            if state.snapshot:
                base = state.commit or git.empty_tree or _empty_tree(root)
                if base is None:
                    raise _Skip(f"{PATCH_NAME} (no base tree)")
                made = git.patch
                _write_once(code_dir / PATCH_NAME, _patch(root, base, state.snapshot, made))
                patch = True
        finally:
            pushed_answer = git_output(unpushed)  # reaped even when the patch failed
        if state.commit:
            bundle = _bundle(root, state.commit, code_dir, pushed_answer)
    except _Skip as skip:
        skipped.append(str(skip))
    meta = {
        "format": META_FORMAT,
        "kind": "git",
        "commit": state.commit,
        "branch": state.branch,
        "remote": state.remote,
        "snapshot": state.snapshot,
        "patch": PATCH_NAME if patch else None,
        "bundle": BUNDLE_NAME if bundle else None,
        "untracked": state.untracked,
        "skipped": skipped,
    }
    _write_once(code_dir / META_NAME, _meta_bytes(meta))
    lost = [s for s in skipped if s.startswith((PATCH_NAME, BUNDLE_NAME))]
    return [f"runar: the code snapshot left out {s}" for s in lost]


def _script_position(command: list[str]) -> int | None:
    for position, token in enumerate(command[:2]):
        if token.endswith(".py") and os.path.isfile(token):
            return position
    return None


def script_path(command: list[str]) -> Path | None:
    """The Python script a command runs (``python train.py``, ``./train.py``), if any."""
    position = _script_position(command)
    return None if position is None else Path(command[position])


def sibling_imports(script: Path) -> list[Path]:
    """``.py`` files next to ``script`` that it imports, directly or through each other."""
    folder = script.parent
    found: list[Path] = []
    todo = [script]
    while todo:
        current = todo.pop()
        try:
            tree = ast.parse(current.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                candidate = folder / f"{name.split('.')[0]}.py"
                if candidate.is_file() and candidate != script and candidate not in found:
                    found.append(candidate)
                    todo.append(candidate)
    return found


def _inside(folder: Path, name: str) -> str | None:
    """``name`` as a path relative to ``folder`` when it names a code or config file there."""
    if not name or len(name) > 255 or "\0" in name or not name.endswith(NAMED_FILE_SUFFIXES):
        return None
    path = Path(name) if os.path.isabs(name) else folder / name
    try:
        rel = path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return None
    return rel.as_posix() if path.is_file() else None


def named_files(script: Path, sources: list[Path], args: list[str]) -> list[str]:
    """Code and config files inside the script's folder that the sources or the args name.

    nanoGPT reads configurator.py and executes its text, and takes ``config/small.py`` as an
    argument: neither is an import, and a rerun outside git fails without them.
    """
    folder = script.parent
    found: list[str] = []
    words = [value for arg in args for value in (arg, arg.partition("=")[2])]
    for source in sources:
        try:
            tree = ast.parse(source.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        words += [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    for word in words:
        rel = _inside(folder, word)
        if rel is not None and rel not in found:
            found.append(rel)
    return found


def _keep_files(code_dir: Path, script: Path, args: list[str]) -> list[str]:
    kept: list[str] = []
    skipped: list[str] = []
    budget = SCRIPT_FILES_MAX_BYTES
    quietly: list[str] = []  # a named file that does not fit is data, not code: no warning
    imported = sorted(sibling_imports(script))
    names = [script.name, *(p.name for p in imported)]
    named = [n for n in named_files(script, [script, *imported], args) if n not in names]
    for name in names + named:
        path = script.parent / name
        if path != script and looks_secret(path.name):
            skipped.append(f"{name} (may hold secrets)")
            continue
        size = path.stat().st_size
        if size > budget:
            why = f"{name} (over the {SCRIPT_FILES_MAX_BYTES >> 20} MiB cap)"
            (quietly if name in named else skipped).append(why)
            continue
        budget -= size
        _write_once(code_dir / FILES_DIRNAME / name, path.read_bytes())
        kept.append(name)
    meta = {
        "format": META_FORMAT,
        "kind": "files",
        "folder": str(script.parent.absolute()),
        "script": script.name,
        "files": kept,
        "skipped": skipped + quietly,
    }
    _write_once(code_dir / META_NAME, _meta_bytes(meta))
    return [f"runar: the code snapshot left out {s}" for s in skipped]


def restore_tree(root: str, code_dir: Path, commit: str | None, snapshot: str | None) -> str | None:
    """A tree or commit id in ``root`` holding the run's exact code, rebuilt from ``code_dir``.

    The snapshot commit is referenced by nothing in the repository, so ``git gc`` may prune
    it; the store's copy (bundle + patch) brings it back as objects only: no ref, branch,
    index or working-tree change in the user's repository.
    """

    def exists(rev: str) -> bool:
        return git_bytes(root, "cat-file", "-e", f"{rev}^{{tree}}") is not None

    if snapshot and exists(snapshot):
        return snapshot
    bundle = code_dir / BUNDLE_NAME
    if commit and not exists(commit) and bundle.is_file():
        git_bytes(root, "bundle", "unbundle", str(bundle))  # objects only, refs untouched
    base = commit if commit and exists(commit) else None
    patch = code_dir / PATCH_NAME
    if not snapshot or not patch.is_file():
        return base
    base = base or (None if commit else _empty_tree(root))
    if base is None:
        return None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="runar-index-") as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": os.path.join(scratch, "index")}
        steps = (["read-tree", base], ["apply", "--cached", "--binary", str(patch)], ["write-tree"])
        out: bytes | None = b""
        for step in steps:
            out = git_bytes(root, *step, env=env)
            if out is None:
                return None
    return out.decode().strip() or None
