"""A report's record → PDF (or PNG pages) through typst, offline, from one wheel.

The templates read the record from ``data.json`` and show every user string as a
string: nothing a run is named or logs is ever parsed as typst markup, so no escaping
can be forgotten. Template, record, charts and images are written to a temporary
folder that is typst's root (its in-memory file map takes UTF-8 text only, not PNGs).
"""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from runar.errors import RunarError
from runar.report.run_data import Report

Template = Literal["run", "compare"]
PNG_PPI: Final = 110  # PNG pages: enough to read, small enough to check quickly


class ReportRenderError(RunarError):
    """typst refused the generated document (a bug in runar, not in the run)."""


def _files(report: Report, template: Template) -> dict[str, bytes]:
    folder = resources.files("runar.report") / "templates"
    files: dict[str, bytes] = {
        "main.typ": (folder / f"{template}.typ").read_bytes(),
        "common.typ": (folder / "common.typ").read_bytes(),
        "data.json": json.dumps(report.data, allow_nan=False, default=str).encode(),
    }
    files.update(report.files)
    return files


def pdf(report: Report, template: Template) -> bytes:
    """The report as a PDF document."""
    return _compile(report, template, "pdf")  # type: ignore[return-value]


def png_pages(report: Report, template: Template, ppi: int = PNG_PPI) -> list[bytes]:
    """The report's pages as PNG images."""
    pages = _compile(report, template, "png", ppi)
    return pages if isinstance(pages, list) else [pages]


def _compile(
    report: Report, template: Template, fmt: str, ppi: int | None = None
) -> bytes | list[bytes]:
    import typst

    with tempfile.TemporaryDirectory(prefix="runar-report-") as tmp:
        root = Path(tmp)
        for name, content in _files(report, template).items():
            (root / name).write_bytes(content)
        try:
            return typst.compile(str(root / "main.typ"), root=str(root), format=fmt, ppi=ppi)
        except (typst.TypstError, RuntimeError) as exc:
            text = str(exc).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            message = f"typst could not typeset the {template} report: {first}"
            raise ReportRenderError(message) from exc
