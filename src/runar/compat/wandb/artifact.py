"""``wandb.Artifact``: files and folders gathered under one name, stored when logged."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

    from runar.sdk.run import Run as Recorder


class Artifact:
    """``Artifact("model", type="model")`` plus ``add_file``/``add_dir``, stored when logged.

    Each entry becomes the runar artifact ``<name>/<entry>``; references (URIs) are
    recorded as a note, since there is nothing local to store.
    """

    def __init__(
        self,
        name: str,
        type: str = "unspecified",  # wandb's own keyword
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = name
        self.type = type
        self.description = description
        self.metadata = dict(metadata or {})
        self.aliases: list[str] = []
        self._entries: list[tuple[str, str]] = []  # (name inside the artifact, local path)
        self._references: list[str] = []
        self._scratch: str | None = None

    def add_file(self, local_path: str, name: str | None = None, **kwargs: Any) -> None:
        """Add one file, as ``name`` or its own file name."""
        self._entries.append((name or os.path.basename(local_path), local_path))

    def add_dir(self, local_path: str, name: str | None = None, **kwargs: Any) -> None:
        """Add a folder's contents, under ``name`` when given."""
        self._entries.append((name or "", local_path))

    def add_reference(self, uri: object, name: str | None = None, **kwargs: Any) -> None:
        """Remember a URI (nothing is fetched)."""
        self._references.append(str(uri))

    def add(self, obj: object, name: str) -> None:
        """Add a media object or table: stored with the artifact under ``name``."""
        self._entries.append((name, obj))  # type: ignore[arg-type]

    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> IO[Any]:
        """Open a new file inside the artifact for writing."""
        import tempfile

        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="runar-wandb-artifact-")
        path = os.path.join(self._scratch, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._entries.append((name, path))
        return open(path, mode.replace("x", "w"), encoding=encoding)

    def wait(self, timeout: int | None = None) -> Artifact:
        return self

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to upload."""

    def entries(self) -> Iterator[tuple[str, object]]:
        yield from self._entries

    def store(self, recorder: Recorder) -> None:
        """Record every entry as runar artifact ``<name>/<entry>``."""
        from pathlib import Path

        from runar.compat.wandb.media import Media

        base = self.name.split(":", 1)[0]
        for entry, source in self._entries:
            target = f"{base}/{entry}" if entry else base
            if isinstance(source, Media):
                source.store(recorder, target)
            else:
                recorder.save(target, Path(source))
        if self._references:
            recorder.note(f"artifact {base} references: {', '.join(self._references)}")
        if self.metadata:
            recorder.config({"_wandb": {"artifacts": {base: {"metadata": self.metadata}}}})
