"""Artifacts once per content hash: ``blobs/<sha256>`` in the bucket, placed by the log.

A file under ``runs/<id>/artifacts/`` whose path and sha256 an ArtifactAttached event of
its run records goes up as ``blobs/<sha256>`` (create-only, so ten runs saving the same
dataset file store it once); anything else (the files of a saved folder, a file changed
after it was saved) goes up under its own run key. A pull places a blob at the path the
run's log names, after checking the bytes against the name; the log is what says where a
blob belongs, so a bucket cannot place one anywhere the run did not record.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

from runar.events import ArtifactAttached
from runar.journal import read_run

BLOBS_DIRNAME: Final = "blobs"
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


def blob_key(sha256: str) -> str:
    return f"{BLOBS_DIRNAME}/{sha256}"


def is_blob_key(key: str) -> bool:
    top, _, name = key.partition("/")
    return top == BLOBS_DIRNAME and bool(_SHA256.match(name))


def recorded_artifacts(run_dir: Path) -> dict[str, tuple[str, int]]:
    """Path under artifacts/ → (sha256, size) of the latest save of each, from the run's log."""
    found: dict[str, tuple[str, int]] = {}
    for event in read_run(run_dir).events:
        if isinstance(event, ArtifactAttached) and _SHA256.match(event.sha256):
            found[event.path] = (event.sha256, event.size)
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def safe_artifact_path(path: str) -> bool:
    """True for a relative path of plain parts (what save() writes); a log is not trusted."""
    parts = path.split("/")
    return bool(path) and all(
        p not in ("", ".", "..") and "\\" not in p and "\x00" not in p and not p.endswith(".tmp")
        for p in parts
    )
