"""``POST /api/runs/{id}/artifacts``: a file into the run's artifacts folder, as save() stores it.

The body is the file itself (``?name=...&kind=...&step=...``) or a ``multipart/form-data``
form with the fields ``name``, ``kind``, ``step`` and one file part ``file``. Names go
through the SDK's ``clean_name`` and ``_destination`` (no ``..``, no absolute path, no
control character, no escape through a symlink); the file is streamed to a temporary
name beside its target while its sha256 is computed, then renamed into place, and only
then is ``ArtifactAttached`` appended. A refused upload leaves no file and no event.

Kinds: ``log`` and ``note`` are UTF-8 text (recorded as the SDK's ``text``), ``json`` must
parse (``.json`` is added to the name as save() does), ``image`` must be PNG, JPEG, GIF or
WebP (its suffix is added when the name has none), ``file`` is anything.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from runar.errors import InvalidName
from runar.events import ArtifactAttached
from runar.sdk.artifacts import _destination, clean_name
from runar.web.write_schema import MAX_ARTIFACT_BYTES, BadRequest

if TYPE_CHECKING:
    from runar.web.write import Call, WriteApi
    from runar.web.write_session import RunFacts

KINDS: Final = {"log": "text", "note": "text", "json": "json", "image": "image", "file": "file"}
IMAGE_SUFFIXES: Final = {
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"GIF87a": ".gif",
    b"GIF89a": ".gif",
}
IMAGE_NAME_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".gif", ".webp")
SNIFF_BYTES: Final = 16
FORM_FIELDS: Final = ("name", "kind", "step")
MAX_FORM_FIELDS: Final = 8
UNTYPED: Final = ("", "application/octet-stream")


@dataclass
class Upload:
    """A file streamed beside its target, not yet renamed into place."""

    tmp: Path
    target: Path
    size: int
    sha256: str
    content_type: str


class Checker:
    """Checks a kind's content while it streams: text is UTF-8, an image is one, JSON parses."""

    def __init__(self, kind: str, json_limit: int) -> None:
        self.kind = kind
        self.head = b""
        self.text = codecs.getincrementaldecoder("utf-8")() if kind in ("log", "note") else None
        self.json: list[bytes] | None = [] if kind == "json" else None
        self.json_size = 0
        self.json_limit = json_limit

    def feed(self, chunk: bytes) -> None:
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        if self.text is not None:
            try:
                self.text.decode(chunk)
            except UnicodeDecodeError:
                raise BadRequest(
                    422, f"a {self.kind} is UTF-8 text; send kind=file", "kind"
                ) from None
        if self.json is not None:
            self.json_size += len(chunk)
            if self.json_size > self.json_limit:
                raise BadRequest(413, f"a json artifact is at most {self.json_limit} bytes", "kind")
            self.json.append(chunk)

    def _not_text(self) -> BadRequest:
        return BadRequest(422, f"a {self.kind} is UTF-8 text; send kind=file", "kind")

    def finish(self) -> str | None:
        """The suffix the name needs (``.json``, ``.png``…), or a BadRequest."""
        if self.text is not None:
            try:
                self.text.decode(b"", final=True)
            except UnicodeDecodeError:
                raise BadRequest(
                    422, f"a {self.kind} is UTF-8 text; send kind=file", "kind"
                ) from None
        if self.json is not None:
            try:
                msgspec.json.decode(b"".join(self.json))
            except msgspec.DecodeError as exc:
                raise BadRequest(422, f"a json artifact must parse ({exc})", "kind") from None
            except RecursionError:
                raise BadRequest(
                    422, "a json artifact nests too deeply to parse; send kind=file", "kind"
                ) from None
            return ".json"
        if self.kind == "image":
            return image_suffix(self.head)
        return None


def image_suffix(head: bytes) -> str:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    for magic, suffix in IMAGE_SUFFIXES.items():
        if head.startswith(magic):
            return suffix
    raise BadRequest(422, "an image must be PNG, JPEG, GIF or WebP; send kind=file", "kind")


@dataclass
class Fields:
    """What the client says about the file: its name, kind and workflow step."""

    name: str
    kind: str
    step: str | None


def read_fields(values: Mapping[str, str], fallback_name: str | None) -> Fields:
    unknown = sorted(set(values) - {*FORM_FIELDS, "durable"})
    if unknown:
        raise BadRequest(422, f"unknown field '{unknown[0]}'; use name, kind, step", unknown[0])
    name = values.get("name") or fallback_name
    if not name:
        raise BadRequest(422, "name= is needed: the artifact's name, e.g. name=loss.png", "name")
    try:
        name = clean_name(name)
    except InvalidName as exc:
        raise BadRequest(422, str(exc), "name") from None
    kind = values.get("kind") or "file"
    if kind not in KINDS:
        raise BadRequest(422, f"kind '{kind[:40]}' is not one of {', '.join(KINDS)}", "kind")
    return Fields(name, kind, values.get("step") or None)


class Sink:
    """Streams chunks into a temporary file beside the target, hashing and checking them."""

    def __init__(self, artifacts_dir: Path, fields: Fields, limit: int, json_limit: int) -> None:
        try:
            self.target = _destination(artifacts_dir, fields.name)
            self.tmp = self.target.with_name(f".{self.target.name}.{os.urandom(6).hex()}.tmp")
            self.file = open(self.tmp, "wb")  # noqa: SIM115 - closed in finish()/discard()
        except InvalidName as exc:
            raise BadRequest(422, str(exc), "name") from None
        except (FileExistsError, NotADirectoryError):  # a folder of the name is a file here
            raise _taken(fields.name) from None
        self.digest = hashlib.sha256()
        self.size = 0
        self.limit = limit
        self.checker = Checker(fields.kind, json_limit)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise BadRequest(413, f"an artifact is at most {self.limit} bytes")
        self.checker.feed(chunk)
        self.digest.update(chunk)
        self.file.write(chunk)

    def finish(self, content_type: str) -> tuple[Upload, str | None]:
        self.file.close()
        suffix = self.checker.finish()
        upload = Upload(self.tmp, self.target, self.size, self.digest.hexdigest(), content_type)
        return upload, suffix

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def _taken(name: str) -> BadRequest:
    """409: the name, or a folder on its path, is already the other kind (file or folder)."""
    return BadRequest(
        409,
        f"artifact name '{name[:80]}' collides with a file or folder of this run's artifacts "
        "(a file cannot hold others, a folder cannot be replaced); choose another name",
        "name",
    )


def attach(api: WriteApi) -> Callable[[Request], Awaitable[Response]]:
    from runar.web.write import Call, RateLimited, reply

    async def endpoint(request: Request) -> Response:
        sink: Sink | None = None
        upload: Upload | None = None
        try:
            token = api.authorise(request)
            key = api.idempotency_key(request, token)
            run_id = request.path_params["run_id"]
            facts = await api.facts(run_id, token)
            api.refuse_if_finished(run_id, facts)
            limit = api.limits.max_artifact or MAX_ARTIFACT_BYTES
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BadRequest(
                    413, f"the body is {declared} bytes; an artifact is at most {limit}"
                )
            artifacts_dir = api.store.artifacts_dir(run_id)
            content_type = request.headers.get("content-type", "")
            if content_type.lower().startswith("multipart/form-data"):
                fields, sink, part_type = await _from_form(request, artifacts_dir, limit, api)
                if fields.step is not None:
                    await api.known_step(run_id, facts, fields.step, "step")
            else:
                fields = read_fields(request.query_params, None)
                if fields.step is not None:  # before the upload, not after it
                    await api.known_step(run_id, facts, fields.step, "step")
                sink = Sink(artifacts_dir, fields, limit, api.limits.max_body)
                async for chunk in request.stream():
                    sink.write(chunk)
                part_type = content_type
            upload, suffix = sink.finish(part_type.split(";")[0].strip())
            sink = None
            act = _recorder(api, Call(request, token, run_id, b""), fields, upload, suffix, facts)
            if key is None:
                status, data = await act()
                return reply(status, data)
            fingerprint = hashlib.sha256(
                f"{request.url.path}?{request.url.query}\n{fields}\n{upload.sha256}".encode()
            ).hexdigest()
            return await api.once(key, fingerprint, act)
        except BadRequest as exc:
            return reply(exc.status, exc.record())
        except RateLimited as exc:
            return exc.response()
        finally:
            if sink is not None:
                sink.discard()
            if upload is not None:  # refused or replayed: the file never lands (or did before)
                upload.tmp.unlink(missing_ok=True)

    return endpoint


def _recorder(
    api: WriteApi,
    call: Call,
    fields: Fields,
    upload: Upload,
    suffix: str | None,
    facts: RunFacts,
) -> Callable[[], Awaitable[tuple[int, dict[str, object]]]]:
    run_id = call.run_id or ""

    async def act() -> tuple[int, dict[str, object]]:
        target = upload.target
        name_suffixes = (suffix,) if suffix == ".json" else IMAGE_NAME_SUFFIXES
        if suffix is not None and not target.name.lower().endswith(name_suffixes):
            target = target.with_name(target.name + suffix)
        try:
            os.replace(upload.tmp, target)
        except (IsADirectoryError, NotADirectoryError):  # the name is a folder of artifacts
            upload.tmp.unlink(missing_ok=True)
            raise _taken(fields.name) from None
        except OSError as exc:
            upload.tmp.unlink(missing_ok=True)
            raise BadRequest(507, f"cannot store the artifact ({exc.strerror})") from None
        artifacts_dir = api.store.artifacts_dir(run_id)
        rel = target.relative_to(artifacts_dir).as_posix()
        meta: dict[str, object] = {}
        if fields.kind != KINDS[fields.kind]:
            meta["sent_as"] = fields.kind
        if upload.content_type.lower() not in UNTYPED and not upload.content_type.startswith(
            "multipart/"
        ):
            meta["content_type"] = upload.content_type[:200]
        event = ArtifactAttached(
            name=fields.name,
            kind=KINDS[fields.kind],
            size=upload.size,
            sha256=upload.sha256,
            path=rel,
            workflow_step=fields.step,
            meta=meta,
            ts=time.time_ns(),
        )
        await api.append(call, [event], facts)
        data: dict[str, object] = {
            "run": run_id,
            "name": fields.name,
            "path": rel,
            "kind": event.kind,
            "size": upload.size,
            "sha256": upload.sha256,
            "step": fields.step,
        }
        return 201, data

    return act


async def _from_form(
    request: Request, artifacts_dir: Path, limit: int, api: WriteApi
) -> tuple[Fields, Sink, str]:
    """The form's fields and its one file, copied into a Sink; 413 past ``limit`` bytes."""
    from starlette.datastructures import UploadFile

    seen = 0
    receive = request.receive

    async def counted() -> dict[str, object]:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))  # type: ignore[arg-type]
        if seen > limit:
            raise BadRequest(413, f"the body is over {limit} bytes; an artifact is at most that")
        return message  # type: ignore[return-value]

    limited = Request(request.scope, counted)  # type: ignore[arg-type]
    try:
        form = await limited.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    except BadRequest:
        raise
    except Exception as exc:  # starlette's MultiPartException and the parser's own errors
        raise BadRequest(400, f"the form cannot be read ({exc})") from None
    try:
        files = [v for v in form.values() if isinstance(v, UploadFile)]
        # fields may come in the query string too; the form's own win
        texts = {**request.query_params, **{k: v for k, v in form.items() if isinstance(v, str)}}
        if len(files) != 1 or "file" not in form or not isinstance(form["file"], UploadFile):
            raise BadRequest(422, "the form needs one file part named 'file'", "file")
        upload = form["file"]
        fields = read_fields(texts, upload.filename)
        sink = Sink(artifacts_dir, fields, limit, api.limits.max_body)
        try:
            while chunk := await upload.read(1 << 20):
                sink.write(chunk)
        except BaseException:
            sink.discard()
            raise
        return fields, sink, upload.content_type or ""
    finally:
        await form.close()
