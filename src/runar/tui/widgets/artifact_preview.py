"""What the Artifacts tab shows for the highlighted file: text, JSON, or image dimensions."""

from __future__ import annotations

import contextlib
import json
import struct
from pathlib import Path
from typing import Final

from rich.console import RenderableType
from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text

from runar.tui import format as fmt
from runar.views.summary import ArtifactSummary

PREVIEW_BYTES: Final = 16_384
TEXT_SUFFIXES: Final = (".txt", ".log", ".md", ".csv", ".tsv", ".yaml", ".yml", ".toml", ".py")
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg")
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, without decoding the image."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if len(head) < 24 or not head.startswith(PNG_MAGIC) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def is_image(artifact: ArtifactSummary) -> bool:
    return artifact.kind == "image" or artifact.path.lower().endswith(IMAGE_SUFFIXES)


def _dimensions(artifact: ArtifactSummary, path: Path) -> tuple[int, int] | None:
    width, height = artifact.meta.get("width"), artifact.meta.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return png_size(path)


def preview(artifact: ArtifactSummary, path: Path) -> RenderableType:
    """A short, safe rendering of the artifact; never reads more than PREVIEW_BYTES."""
    head = (
        f"[b]{escape(artifact.name)}[/b]  {escape(artifact.kind)}  {fmt.size(artifact.size)}\n"
        f"[dim]sha256 {artifact.sha256}\nartifacts/{escape(artifact.path)}[/]\n"
    )
    if not path.is_file():
        return Text.from_markup(head + "\n[yellow]the file is missing[/]")
    if is_image(artifact):
        dims = _dimensions(artifact, path)
        shown = f"{dims[0]} × {dims[1]} px" if dims else "dimensions unknown"
        return Text.from_markup(head + f"\nimage, {shown}\n[dim]press o to open it[/]")
    try:
        with open(path, "rb") as fh:
            data = fh.read(PREVIEW_BYTES)
    except OSError as exc:
        return Text.from_markup(head + f"\n[red]cannot read it: {escape(str(exc))}[/]")
    if b"\0" in data:
        return Text.from_markup(head + "\n[dim]binary file; press o to open it[/]")
    text = data.decode("utf-8", errors="replace")
    truncated = artifact.size > PREVIEW_BYTES
    if artifact.path.lower().endswith(".json") or artifact.kind == "json":
        if not truncated:
            with contextlib.suppress(ValueError):  # not valid JSON after all: show it as is
                text = json.dumps(json.loads(text), indent=2)
        body: RenderableType = Syntax(text, "json", theme="ansi_dark", word_wrap=True)
    else:
        body = Text(text)
    from rich.console import Group

    tail = Text.from_markup("[dim]… (truncated)[/]") if truncated else Text("")
    return Group(Text.from_markup(head), body, tail)
