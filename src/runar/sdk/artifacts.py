"""save(): turn an object into a file under the run's artifacts folder, with its sha256.

Files and folders are streamed in chunks, never loaded whole. Names are relative
paths inside the artifacts folder; anything that could land outside it (absolute
paths, ``..``, NUL, a symlinked folder pointing elsewhere) is refused.

A ``str`` naming an existing file or folder is copied. One that only looks like a path
(a folder separator and no spaces, or a file extension such as ``.pt``) but names
nothing is a typo in the script, so it raises instead of silently becoming a text
file; ``save(name, text=...)`` stores any string as text. Other strings are text.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, Final

CHUNK_BYTES: Final = 1 << 20
MAX_NAME_CHARS: Final = 255 * 4
MAX_TEXT_PATH_CHARS: Final = 4096  # a longer str is text to store, never a path to copy
MAX_PATH_LIKE_CHARS: Final = 512  # past this, a missing "path" is more likely prose
PATH_SUFFIXES: Final = frozenset(
    {
        *(".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".onnx", ".gguf", ".h5", ".hdf5"),
        *(".pkl", ".pickle", ".joblib", ".npy", ".npz", ".parquet", ".arrow", ".feather"),
        *(".json", ".jsonl", ".yaml", ".yml", ".toml", ".csv", ".tsv", ".txt", ".log", ".md"),
        *(".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".html", ".wav", ".mp3", ".mp4"),
        *(".zip", ".tar", ".gz", ".tgz", ".zst", ".model", ".msgpack"),
    }
)
ACCEPTED: Final = (
    "a path to a file or folder, bytes, str, a JSON-able dict/list, a PIL image, "
    "a matplotlib figure, a numpy array or a torch object"
)


class StoredArtifact:
    """Where an artifact landed and what ArtifactAttached records about it."""

    __slots__ = ("kind", "meta", "name", "path", "rel", "sha256", "size")

    def __init__(
        self, name: str, kind: str, path: Path, rel: str, size: int, sha256: str, meta: dict
    ) -> None:
        self.name, self.kind, self.path, self.rel = name, kind, path, rel
        self.size, self.sha256, self.meta = size, sha256, meta

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "path": self.rel,
            "meta": self.meta,
        }


def clean_name(name: object) -> str:
    """The artifact name as a normalized relative path, or InvalidName saying why not."""
    from runar.errors import InvalidName

    if not isinstance(name, str) or not name.strip():
        raise InvalidName(f"artifact name {name!r} must be a non-empty string, e.g. 'model.pt'")
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise InvalidName(f"artifact name {name!r} contains a control character; use plain text")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidName(
            f"artifact name '{name[:40]}…' is too long; keep it under {MAX_NAME_CHARS} chars"
        )
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise InvalidName(
            f"artifact name '{name}' is an absolute path; give a name inside the run, "
            f"e.g. '{os.path.basename(name.rstrip('/')) or 'artifact'}'"
        )
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidName(f"artifact name '{name}' contains '..'; names stay inside the run")
    if not parts:
        raise InvalidName(f"artifact name {name!r} names no file; e.g. 'model.pt'")
    return "/".join(parts)


def _destination(artifacts_dir: Path, rel: str) -> Path:
    from runar.errors import InvalidName

    artifacts_dir.mkdir(parents=True, exist_ok=True)
    target = artifacts_dir / rel
    root = os.path.realpath(artifacts_dir)
    # checked before mkdir: creating folders through an escaping symlink is already harm
    real_parent = os.path.realpath(target.parent)
    if os.path.commonpath([root, real_parent]) != root or os.path.islink(target):
        raise InvalidName(
            f"artifact name '{rel}' leads outside the run's artifacts folder through a symlink"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _with_suffix(rel: str, suffix: str) -> str:
    return rel if rel.lower().endswith(suffix) else rel + suffix


def _copy_file(source: Path, target: Path) -> tuple[int, str]:
    """Copy in chunks, hashing on the way; the target appears whole or not at all."""
    import hashlib

    digest = hashlib.sha256()
    size = 0
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    try:
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            while n := src.readinto(buffer):
                digest.update(view[:n])
                dst.write(view[:n])
                size += n
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def _write_with(target: Path, write: Callable[[Path], None]) -> tuple[int, str]:
    """Let a library write the file, then hash it by streaming it back."""
    import hashlib

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        digest = hashlib.sha256()
        size = 0
        with open(tmp, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def _copy_folder(source: Path, target: Path, store_root: Path) -> tuple[int, str, dict[str, Any]]:
    """Copy a folder (symlinked folders not followed); its sha256 covers names and contents.

    The store and the copy itself are left out: `save("code", ".")` run next to `.runar/`
    would otherwise copy every run, and then the copy into itself until names grew too long.
    """
    import hashlib
    import shutil

    if target.exists() and not target.is_symlink():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    left_out = {os.path.realpath(store_root), os.path.realpath(target)}
    skipped: list[str] = []
    listing = hashlib.sha256()
    total = files = 0
    for folder, dirs, names in os.walk(source):
        kept = []
        for name in sorted(dirs):
            if os.path.realpath(os.path.join(folder, name)) in left_out:
                skipped.append(os.path.relpath(os.path.join(folder, name), source))
            else:
                kept.append(name)
        dirs[:] = kept
        rel_folder = os.path.relpath(folder, source)
        (target / rel_folder).mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            rel = os.path.normpath(os.path.join(rel_folder, name))
            size, sha = _copy_file(source / rel, target / rel)
            listing.update(f"{sha}  {rel}\n".encode())
            total += size
            files += 1
    meta: dict[str, Any] = {"files": files}
    if skipped:
        meta["skipped"] = skipped
    return total, listing.hexdigest(), meta


def _module_of(obj: object) -> str:
    return type(obj).__module__.split(".", 1)[0]


def _is_torch(obj: object) -> bool:
    if "torch" not in sys.modules:
        return False
    if _module_of(obj) == "torch":
        return True
    return isinstance(obj, dict) and any(_module_of(v) == "torch" for v in obj.values())


def _text_is_path(obj: str) -> bool:
    return len(obj) < MAX_TEXT_PATH_CHARS and "\n" not in obj and os.path.exists(obj)


def looks_like_path(text: str) -> bool:
    """Whether a string is most likely meant as a file path rather than as text to store."""
    if not text or len(text) > MAX_PATH_LIKE_CHARS or text != text.strip() or "\n" in text:
        return False
    if "://" in text:
        return False  # a URL is text
    if text.startswith(("/", "./", "../", "~/")):
        return True
    separators = {os.sep, os.altsep or os.sep}
    if any(sep in text for sep in separators) and not any(c.isspace() for c in text):
        return True
    return os.path.splitext(text)[1].lower() in PATH_SUFFIXES


def store_artifact(
    artifacts_dir: Path, name: object, obj: object, *, as_text: bool = False
) -> StoredArtifact | None:
    """Write ``obj`` as artifact ``name``; None (after one warning) on storage trouble.

    Args:
        as_text: ``obj`` is a str to store as text even if it names a file.
    """
    from pathlib import Path

    from runar.errors import InvalidValue
    from runar.sdk.process import warn

    rel = clean_name(name)
    source: Path | None = None
    if as_text:
        if not isinstance(obj, str):
            raise TypeError(f"save({name!r}, text=...) takes a str, got {type(obj).__name__}")
    elif isinstance(obj, os.PathLike) or (isinstance(obj, str) and _text_is_path(obj)):
        source = Path(os.fspath(obj))
        if not source.exists():
            raise InvalidValue(f"save({name!r}): no such file or folder '{source}'")
    elif isinstance(obj, str) and looks_like_path(obj):
        raise InvalidValue(f"save({name!r}): no such file '{obj}'; pass text=... to store a string")
    try:
        return _store(artifacts_dir, rel, obj, source)
    except (InvalidValue, TypeError):
        raise
    except OSError as exc:
        if source is not None and exc.filename is not None and str(source) in str(exc.filename):
            reason = f"cannot read {source} ({exc.strerror})"
            raise InvalidValue(f"cannot save '{rel}': {reason}") from exc
        warn(f"cannot store artifact '{rel}' ({exc.strerror or exc})")
        return None


def _store(artifacts_dir: Path, rel: str, obj: object, source: Path | None) -> StoredArtifact:
    import json

    from runar.errors import InvalidValue

    meta: dict[str, Any] = {}
    if source is not None and source.is_dir():
        target = _destination(artifacts_dir, rel)
        # artifacts_dir is <store>/runs/<run id>/artifacts
        size, sha, meta = _copy_folder(source, target, artifacts_dir.parents[2])
        kind = "folder"
    elif source is not None:
        kind = "file"
        target = _destination(artifacts_dir, rel)
        size, sha = _copy_file(source, target)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        kind, data = "bytes", bytes(obj)
        target = _destination(artifacts_dir, rel)
        size, sha = _write_with(target, lambda p: p.write_bytes(data))
    elif isinstance(obj, str):
        kind, data = "text", obj.encode()
        target = _destination(artifacts_dir, rel)
        size, sha = _write_with(target, lambda p: p.write_bytes(data))
    elif _is_torch(obj):
        import torch  # only reached when the script already imported it

        kind = "torch"
        target = _destination(artifacts_dir, _with_suffix(rel, ".pt"))
        size, sha = _write_with(target, lambda p: torch.save(obj, p))
    elif isinstance(obj, (dict, list)):
        try:
            data = json.dumps(obj, indent=2, allow_nan=True).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidValue(f"cannot save '{rel}' as JSON: {exc}") from None
        kind = "json"
        target = _destination(artifacts_dir, _with_suffix(rel, ".json"))
        size, sha = _write_with(target, lambda p: p.write_bytes(data))
    elif _module_of(obj) == "PIL" and hasattr(obj, "save"):
        kind = "image"
        meta = {"width": obj.width, "height": obj.height, "mode": obj.mode}  # type: ignore[attr-defined]
        target = _destination(artifacts_dir, _with_suffix(rel, ".png"))
        size, sha = _write_with(target, lambda p: obj.save(p, format="PNG"))  # type: ignore[attr-defined]
    elif _module_of(obj) == "matplotlib" and hasattr(obj, "savefig"):
        kind = "image"
        width, height = obj.get_size_inches() * obj.dpi  # type: ignore[attr-defined]
        meta = {"width": round(width), "height": round(height)}
        target = _destination(artifacts_dir, _with_suffix(rel, ".png"))
        size, sha = _write_with(target, lambda p: obj.savefig(p, format="png"))  # type: ignore[attr-defined]
    elif _module_of(obj) == "numpy" and hasattr(obj, "shape"):
        import numpy

        kind = "array"
        meta = {"shape": list(obj.shape), "dtype": str(obj.dtype)}  # type: ignore[attr-defined]
        target = _destination(artifacts_dir, _with_suffix(rel, ".npy"))

        def write_npy(p: Path) -> None:
            with open(p, "wb") as f:  # a file object: np.save would add .npy to a path
                numpy.save(f, obj, allow_pickle=False)

        size, sha = _write_with(target, write_npy)
    else:
        raise TypeError(f"cannot save {type(obj).__name__} as artifact '{rel}'; pass {ACCEPTED}")
    rel_path = target.relative_to(artifacts_dir).as_posix()
    return StoredArtifact(rel, kind, target, rel_path, size, sha, meta)
