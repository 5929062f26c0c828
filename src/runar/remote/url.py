"""Remote URLs: ``s3://bucket/prefix``; local folders and ``file://`` stay folder syncs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from runar.errors import UsageError

SCHEMES: Final = ("s3",)
_BUCKET: Final = re.compile(r"^[a-z0-9][a-z0-9.\-_]{2,62}$")  # 3-63: S3's rule (GCS allows _)
_URL_LIKE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:/")


@dataclass(frozen=True)
class RemoteURL:
    """An object-store location: a bucket and a key prefix inside it (may be empty)."""

    scheme: str
    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, rel: str) -> str:
        """The full key of a store-relative path, for messages."""
        return f"{self.prefix}/{rel}" if self.prefix else rel


def is_remote_url(text: str) -> bool:
    """True for ``s3://…``; False for folders and ``file://`` URLs."""
    return any(text.startswith(f"{scheme}://") for scheme in SCHEMES)


def parse_url(text: str) -> RemoteURL:
    """``s3://bucket/prefix`` → RemoteURL; UsageError naming what is wrong."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in SCHEMES:
        raise UsageError(f"{text!r} is not a remote; use s3://BUCKET/PREFIX")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise UsageError(f"{text!r}: {bucket!r} is not a bucket name; use s3://BUCKET/PREFIX")
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") or "\\" in p for p in parts):
        raise UsageError(f"{text!r}: the prefix may not hold '.', '..' or backslashes")
    return RemoteURL(scheme, bucket, "/".join(parts))


def local_path_of(text: str) -> str:
    """A ``file://`` URL's path, or ``text`` itself for a plain folder.

    Anything else shaped like a URL (``s3:/bucket``, ``s4://x``, ``https://…``) is a
    UsageError rather than a folder of that name created in the current directory.
    """
    if text.startswith("file://"):
        return text[len("file://") :]
    if _URL_LIKE.match(text):
        raise UsageError(
            f"{text!r} is neither a folder nor a remote; use s3://BUCKET/PREFIX, "
            "file:///PATH or a path"
        )
    return text


def looks_like_url(text: str) -> bool:
    """True for ``scheme:/…`` text, well formed or not (a remote name never holds ':')."""
    return bool(_URL_LIKE.match(text))
