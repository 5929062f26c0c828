"""The vendored front-end files are the ones VENDOR.md names, and the hand-written modules
never turn data into HTML or code (the CSP would block eval; this keeps innerHTML out too)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "runar" / "web" / "static"
VENDOR = STATIC / "vendor"


def listed_sums() -> dict[str, str]:
    text = (VENDOR / "VENDOR.md").read_text()
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.M)}


def test_vendor_md_lists_every_vendored_file() -> None:
    on_disk = {p.name for p in VENDOR.iterdir() if p.name != "VENDOR.md"}
    assert set(listed_sums()) == on_disk


@pytest.mark.parametrize("name", sorted(listed_sums()))
def test_a_vendored_file_matches_its_recorded_sha256(name: str) -> None:
    assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == listed_sums()[name]


@pytest.mark.parametrize("module", sorted(p.name for p in STATIC.glob("*.js")))
def test_hand_written_modules_never_write_html_or_eval(module: str) -> None:
    source = (STATIC / module).read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "dangerouslySetInnerHTML",
        "insertAdjacentHTML",
        "eval(",
        "new Function",
        "document.write",
    ):
        assert sink not in source, f"{module} uses {sink}"


def test_the_page_loads_no_inline_script() -> None:
    page = (STATIC / "index.html").read_text()
    assert re.findall(r"<script\b[^>]*>", page) == ['<script type="module" src="/static/app.js">']
