"""Artifact files over HTTP: found by name in the run's index, never by a path from the URL.

The stored path comes from the log, which a synced store may have filled with anything,
so the resolved file must still lie inside the run's artifacts folder (symlinks
resolved). Only types a browser shows harmlessly render inline; SVG, HTML and anything
unknown download as attachments.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import quote

from runar.store import Store
from runar.views.summary import ArtifactSummary

INLINE_TYPES: Final = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".log": "text/plain; charset=utf-8",
    ".csv": "text/plain; charset=utf-8",
    ".tsv": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
    ".yml": "text/plain; charset=utf-8",
    ".toml": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
}
ATTACHMENT_TYPE: Final = "application/octet-stream"
TEXT_KINDS: Final = ("text",)


def artifact_url(run_id: str, name: str) -> str:
    return f"/api/runs/{run_id}/artifacts/{quote(name, safe='')}"


def artifact_file(store: Store, run_id: str, artifact: ArtifactSummary) -> Path | None:
    """The artifact's file, only when it is a file inside the run's artifacts folder."""
    folder = store.artifacts_dir(run_id).resolve()
    try:
        path = (folder / artifact.path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def content_type(artifact: ArtifactSummary, path: Path) -> tuple[str, bool]:
    """The type to send and whether it may show inline."""
    suffix = PurePosixPath(path.name).suffix.lower()
    if suffix in INLINE_TYPES:
        return INLINE_TYPES[suffix], True
    if artifact.kind in TEXT_KINDS and not suffix:
        return "text/plain; charset=utf-8", True
    return ATTACHMENT_TYPE, False


def disposition(name: str, inline: bool) -> str:
    """A Content-Disposition naming the file safely in any browser."""
    base = PurePosixPath(name).name or "artifact"
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in base
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(base, safe='')}"
