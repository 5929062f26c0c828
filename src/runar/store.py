"""Where a store lives and every path under it; the only module that knows the layout.

.runar/
├── runs/<run_id>/            synced: the log and the artifacts, the source of truth
│   ├── <writer>.<n>.jsonl       active segment (plain JSON lines)
│   ├── <writer>.<n>.jsonl.zst   sealed segment (zstd, immutable)
│   ├── code/                    the exact code of the run, written once at its start
│   └── artifacts/
└── index/                    derived views: machine-local, safe to delete
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

from runar.errors import StoreError
from runar.ids import is_run_id
from runar.mounts import MOUNTS_FILE, index_location

STORE_DIRNAME: Final = ".runar"
ENV_STORE: Final = "RUNAR_DIR"
ENV_INDEX: Final = "RUNAR_INDEX_DIR"
CODE_DIRNAME: Final = "code"


def _find_upwards(start: Path, name: str) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


class Store:
    """A runar store rooted at a ``.runar`` folder (which may not exist yet)."""

    def __init__(self, root: Path, mounts_file: Path = MOUNTS_FILE) -> None:
        self.root = Path(root).absolute()
        self.mounts_file = mounts_file
        self._index_dir: Path | None = None

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    @classmethod
    def discover(cls, cwd: Path | None = None) -> Store:
        """RUNAR_DIR, else the nearest .runar upwards, else the git root, else cwd."""
        env = os.environ.get(ENV_STORE)
        if env:
            return cls(Path(env).expanduser())
        here = Path(cwd or Path.cwd()).absolute()
        found = _find_upwards(here, STORE_DIRNAME)
        if found is not None and found.is_dir():
            return cls(found)
        git = _find_upwards(here, ".git")
        base = git.parent if git is not None else here
        return cls(base / STORE_DIRNAME)

    @property
    def exists(self) -> bool:
        return self.runs_dir.is_dir()

    def create(self) -> Store:
        """Make the folders; an unusable location becomes a StoreError."""
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the runar store at {self.root}: {exc.strerror}; "
                f"set {ENV_STORE} to a writable folder"
            ) from exc
        marker = self.root / ".gitignore"
        if not marker.exists():
            # a store inside a repository must not make the tree dirty nor enter snapshots
            with contextlib.suppress(OSError):
                marker.write_text("# runar's store: runs and derived views, not code\n*\n")
        return self

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def index_dir(self) -> Path:
        """RUNAR_INDEX_DIR, else ``.runar/index``; off network mounts, where LMDB is unsafe."""
        override = os.environ.get(ENV_INDEX)
        if override:
            return Path(override).expanduser()
        if self._index_dir is None:
            self._index_dir = index_location(self.root, self.mounts_file)
        return self._index_dir

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def artifacts_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "artifacts"

    def code_dir(self, run_id: str) -> Path:
        """The run's code snapshot (runar.runner.code_snapshot), inside the store."""
        return self.run_dir(run_id) / CODE_DIRNAME

    @property
    def deleted_dir(self) -> Path:
        """Tombstones: ``deleted/<run_id>`` marks a run deleted in every store it syncs with."""
        return self.root / "deleted"

    def tombstones(self) -> set[str]:
        """Ids of runs deleted for good; their folders, if copied back, are ignored."""
        try:
            with os.scandir(self.deleted_dir) as entries:
                return {e.name for e in entries if is_run_id(e.name)}
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def run_ids(self) -> list[str]:
        """Ids of the run folders present and not tombstoned, in no particular order."""
        try:
            entries = os.scandir(self.runs_dir)
        except FileNotFoundError:
            return []
        deleted = self.tombstones()
        with entries:
            return [
                e.name
                for e in entries
                if is_run_id(e.name) and e.is_dir(follow_symlinks=False) and e.name not in deleted
            ]
