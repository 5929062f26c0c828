"""One bucket through obstore: credentials and endpoint from the standard AWS environment.

Nothing is stored or printed but the URL: keys come from ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` (or ``AWS_PROFILE`` through boto3 when
it is installed), the endpoint from ``AWS_ENDPOINT_URL`` (MinIO, R2, Ceph…), the region
from ``AWS_REGION``. Every failure becomes a RemoteError: one line, no traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from runar.errors import RunarError
from runar.remote.url import RemoteURL, parse_url

if TYPE_CHECKING:
    from obstore.store import S3Store

INSTALL_HINT: Final = "pip install 'runar[remote]'"
LIST_CHUNK: Final = 1000
CONNECT_TIMEOUT_S: Final = 5
REQUEST_TIMEOUT_S: Final = 600  # a whole PUT/GET: big artifacts on a slow link
# reads (listings, GETs, deletes) give up when the server sends nothing for this long, so a
# server that accepts connections and never answers fails a command in ~30 s, not 10 min;
# uploads cannot have it (no byte is read while the body goes out), so a small PUT has a
# shorter whole-request timeout instead
READ_STALL_S: Final = 10
SMALL_PUT_TIMEOUT_S: Final = 120
MAX_RETRIES: Final = 3
RETRY_TIMEOUT_S: Final = 20
STREAM_CHUNK: Final = 1 << 20
SMALL_OBJECT_BYTES: Final = 8 << 20  # read in one call; larger objects are streamed
MULTIPART_BYTES: Final = 64 << 20  # a blob past this goes up in parts (bounded memory)
REASON_CHARS: Final = 160
_ENV_ENDPOINTS: Final = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT")
_ENDPOINT_URL: Final = re.compile(r"^https?://[^/\s?#]+(/[^\s]*)?$")


class RemoteError(RunarError):
    """A remote that cannot be reached, read or written; the message says which and why."""


class ObjectExists(Exception):
    """A create-only PUT found an object already there (HTTP 412)."""


class ObjectMissing(Exception):
    """The object is gone (listed, then deleted or never there)."""


class TooBig(Exception):
    """An object larger than runar accepts for its kind."""


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object: its store-relative key, size and ETag."""

    key: str
    size: int
    etag: str


def _obstore() -> object:
    try:
        import obstore
    except ImportError:
        raise RemoteError(f"remotes need obstore: {INSTALL_HINT}") from None
    return obstore


def endpoint() -> str | None:
    """The endpoint the environment names, if any (AWS_ENDPOINT_URL…)."""
    return next((os.environ[v] for v in _ENV_ENDPOINTS if os.environ.get(v)), None)


def check_endpoint() -> None:
    """RemoteError unless the endpoint variable set, if any, is an http(s) URL.

    obstore panics on ``127.0.0.1:9000`` (no scheme) at the first request.
    """
    for name in _ENV_ENDPOINTS:
        value = os.environ.get(name)
        if value and not _ENDPOINT_URL.match(value):
            raise RemoteError(
                f"{name}={value[:80]!r} is not an endpoint URL; "
                "write http://HOST:PORT or https://HOST"
            )


def reason(exc: BaseException) -> str:
    """An obstore error as a short phrase: the status and S3 code, never a header or key."""
    text = str(exc)
    code = re.search(r"<Code>([^<]+)</Code>", text)
    status = re.search(r"status code: (\d{3}[^:]*)", text)
    if code or status:
        found = ", ".join(x for x in (status and status.group(1), code and code.group(1)) if x)
    elif "error sending request" in text or "Connection refused" in text:
        found = "connection failed (endpoint unreachable)"
    elif "timed out" in text.lower():
        found = "timed out"
    else:
        found = text.splitlines()[0] if text else type(exc).__name__
    for secret in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        value = os.environ.get(secret)
        if value and len(value) >= 4:
            found = found.replace(value, "***")
    return found[:REASON_CHARS]


def advice(why: str) -> str:
    """What to check for a failure, from its reason."""
    if "403" in why or "401" in why or "Access" in why or "Signature" in why:
        return "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
    if "NoSuchBucket" in why:
        return "check the bucket name, or create the bucket"
    if "unreachable" in why or "timed out" in why:
        return "check AWS_ENDPOINT_URL and the network"
    return "check the remote URL, AWS_ENDPOINT_URL and the credentials"


class Bucket:
    """A remote's objects, keyed relative to its prefix."""

    def __init__(self, url: RemoteURL) -> None:
        self.url = url
        self._ob = _obstore()
        check_endpoint()
        self.store = self._open(read_stall=True)  # listings, GETs, deletes
        self._small_puts = self._open(timeout=SMALL_PUT_TIMEOUT_S)
        self._big_puts = self._open()

    def _puts(self, size: int) -> S3Store:
        return self._small_puts if size <= SMALL_OBJECT_BYTES else self._big_puts

    def _open(self, read_stall: bool = False, timeout: int = REQUEST_TIMEOUT_S) -> S3Store:
        from obstore.store import S3Store

        client: dict[str, object] = {
            "connect_timeout": timedelta(seconds=CONNECT_TIMEOUT_S),
            "timeout": timedelta(seconds=timeout),
        }
        if read_stall:
            client["read_timeout"] = timedelta(seconds=READ_STALL_S)
        where = endpoint()
        if where and where.startswith("http://"):
            client["allow_http"] = True  # MinIO or a test server on a private network
        retry = {"max_retries": MAX_RETRIES, "retry_timeout": timedelta(seconds=RETRY_TIMEOUT_S)}
        config: dict[str, object] = {}
        if not os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
            config["region"] = "us-east-1"
        provider = _profile_provider()
        try:
            return S3Store(
                self.url.bucket,
                prefix=self.url.prefix or None,
                client_options=client,  # type: ignore[arg-type]
                retry_config=retry,  # type: ignore[arg-type]
                credential_provider=provider,  # type: ignore[arg-type]
                **config,  # type: ignore[arg-type]
            )
        except Exception as exc:  # a bad environment value: obstore says which
            raise RemoteError(f"cannot open {self.url}: {reason(exc)}") from None

    def fail(self, action: str, exc: BaseException) -> RemoteError:
        """The RemoteError for a failed request."""
        why = reason(exc)
        return RemoteError(f"cannot {action} {self.url}: {why}; {advice(why)}")

    def list(self, under: str = "") -> list[ObjectInfo]:
        """Every object under a store-relative prefix, one paginated listing.

        A key with ``..``, an empty part or similar makes obstore refuse the whole listing;
        junk beside the store's folders is then skipped by listing ``runs/`` and ``deleted/``
        alone, and junk inside them is a RemoteError naming the key to delete.
        """
        from obstore.exceptions import InvalidPathError

        try:
            return [*self._list(under)]
        except InvalidPathError as exc:
            if under:
                bad = re.search(r'[Pp]ath "([^"]*)"', str(exc))
                shown = repr(bad.group(1)) if bad else "a key with '..' or an empty part"
                raise RemoteError(
                    f"cannot list {self.url}: it holds {shown}, a name no store may hold; "
                    "delete that object"
                ) from None
            return [info for top in ("deleted/", "runs/") for info in self.list(top)]

    def _list(self, under: str) -> Iterator[ObjectInfo]:
        from obstore.exceptions import InvalidPathError

        try:
            stream = self._ob.list(self.store, under or None, chunk_size=LIST_CHUNK)  # type: ignore[attr-defined]
            for chunk in stream:
                for meta in chunk:
                    etag = (meta.get("e_tag") or "").strip('"')
                    yield ObjectInfo(meta["path"], int(meta["size"]), etag)
        except InvalidPathError:
            raise
        except Exception as exc:
            raise self.fail("list", exc) from None
        except BaseException as exc:  # a Rust panic in obstore is not an Exception
            if type(exc).__name__ != "PanicException":
                raise
            raise self.fail("list", exc) from None

    def get_bytes(self, key: str, limit: int) -> bytes:
        """A small object's bytes; TooBig past ``limit``; ObjectMissing when gone."""
        out = bytearray()
        for chunk in self._stream(key):
            out += chunk
            if len(out) > limit:
                raise TooBig(key)
        return bytes(out)

    def sha256(self, key: str, limit: int) -> str:
        """The sha256 of an object, streamed; TooBig past ``limit``."""
        import hashlib

        digest, size = hashlib.sha256(), 0
        for chunk in self._stream(key):
            size += len(chunk)
            if size > limit:
                raise TooBig(key)
            digest.update(chunk)
        return digest.hexdigest()

    def download(self, key: str, out: IO[bytes], limit: int) -> int:
        """Stream an object into ``out`` (bounded memory); bytes written; TooBig past ``limit``."""
        size = 0
        for chunk in self._stream(key, limit):
            size += len(chunk)
            if size > limit:
                raise TooBig(key)
            out.write(chunk)
        return size

    def _stream(self, key: str, limit: int | None = None) -> Iterator[bytes]:
        """The object's bytes in chunks; a small one in one piece, read at once.

        With ``limit``, a response declaring more is TooBig before any byte is read; the
        body of a small one is read whole, which its Content-Length bounds.
        """
        from obstore.exceptions import NotFoundError

        try:
            result = self._ob.get(self.store, key)  # type: ignore[attr-defined]
            declared = int(result.meta["size"])
            if limit is not None and declared > limit:
                raise TooBig(key)
            if declared <= SMALL_OBJECT_BYTES:
                yield bytes(result.bytes())  # one call, no per-chunk overhead (most objects)
                return
            for chunk in result.stream(min_chunk_size=STREAM_CHUNK):
                yield bytes(chunk)
        except NotFoundError:
            raise ObjectMissing(key) from None
        except (TooBig, ObjectMissing):
            raise
        except Exception as exc:
            raise self.fail(f"read {key} from", exc) from None

    def put_create(self, key: str, data: bytes | Path) -> str:
        """Create ``key`` only if absent (If-None-Match: *); its ETag, or ObjectExists."""
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        try:
            size = len(data) if isinstance(data, bytes) else data.stat().st_size
            result = self._ob.put(self._puts(size), key, data, mode="create", use_multipart=False)  # type: ignore[attr-defined]
        except (AlreadyExistsError, PreconditionError):
            raise ObjectExists(key) from None
        except Exception as exc:
            raise self.fail(f"write {key} to", exc) from None
        return str(result.get("e_tag") or "").strip('"')

    def put_blob(self, key: str, path: Path) -> str:
        """A content-addressed object: create-only when small, streamed in parts when big.

        A conditional PUT is a single request, so obstore holds the whole body in memory;
        past MULTIPART_BYTES a blob goes up in parts instead, without the condition, which
        is safe only because its name is its content's hash: a racing upload of the same
        name writes the same bytes.
        """
        if path.stat().st_size <= MULTIPART_BYTES:
            return self.put_create(key, path)
        try:
            result = self._ob.put(self._big_puts, key, path, use_multipart=True)  # type: ignore[attr-defined]
        except Exception as exc:
            raise self.fail(f"write {key} to", exc) from None
        return str(result.get("e_tag") or "").strip('"')

    def put_overwrite(self, key: str, data: bytes) -> str:
        """Write an advisory object (a live tail) whatever is there; its ETag."""
        try:
            result = self._ob.put(self._puts(len(data)), key, data, use_multipart=False)  # type: ignore[attr-defined]
        except Exception as exc:
            raise self.fail(f"write {key} to", exc) from None
        return str(result.get("e_tag") or "").strip('"')

    def delete(self, key: str) -> None:
        """Remove one object (a tombstoned run's data under --everywhere, a stale live tail)."""
        from obstore.exceptions import NotFoundError

        try:
            self._ob.delete(self.store, key)  # type: ignore[attr-defined]
        except NotFoundError:
            return
        except Exception as exc:
            raise self.fail(f"delete {key} from", exc) from None


def _profile_provider() -> object | None:
    """boto3's credentials for AWS_PROFILE when no keys are in the environment."""
    if not os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    try:
        import boto3
        from obstore.auth.boto3 import Boto3CredentialProvider
    except ImportError:
        return None  # obstore reads ~/.aws itself where it can
    return Boto3CredentialProvider(boto3.Session(profile_name=os.environ["AWS_PROFILE"]))


def open_bucket(url: str | RemoteURL) -> Bucket:
    """The bucket a URL names; RemoteError when obstore is missing or the setup is invalid."""
    return Bucket(parse_url(url) if isinstance(url, str) else url)
