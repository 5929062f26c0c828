"""remote/url.py, layout.py, config.py, bucket.py: parsing, key checks, obstore only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runar.errors import UsageError
from runar.remote.bucket import RemoteError, open_bucket
from runar.remote.config import add_remote, remotes, remove_remote, resolve_remote
from runar.remote.layout import classify_key, key_for_local
from runar.remote.url import is_remote_url, parse_url
from tests.remote.conftest import make_store

RUN = "0123456789abcdef"


def test_urls() -> None:
    url = parse_url("s3://team-bucket/a//b/")
    assert (url.bucket, url.prefix, str(url)) == ("team-bucket", "a/b", "s3://team-bucket/a/b")
    assert is_remote_url("s3://x/y") and not is_remote_url("file:///tmp/x")
    assert not is_remote_url("/mnt/share")
    for bad in ("s3://", "s3://B!/x", "s3://bucket/../x", "gs://bucket"):
        with pytest.raises(UsageError):
            parse_url(bad)


@pytest.mark.parametrize(
    ("key", "kind", "local"),
    [
        (
            f"runs/{RUN}/sdk-ab12.000001.jsonl.zst",
            "sealed",
            f"runs/{RUN}/sdk-ab12.000001.jsonl.zst",
        ),
        (f"runs/{RUN}/live/sdk-ab12.000002.jsonl", "live", f"runs/{RUN}/sdk-ab12.000002.jsonl"),
        (f"runs/{RUN}/artifacts/model/w.pt", "file", f"runs/{RUN}/artifacts/model/w.pt"),
        (f"deleted/{RUN}", "tombstone", f"deleted/{RUN}"),
    ],
)
def test_keys_of_the_layout_land_inside_the_store(key: str, kind: str, local: str) -> None:
    found = classify_key(key)
    assert found is not None and (found.kind, found.local) == (kind, local)


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "/etc/passwd",
        f"runs/{RUN}/../../x",
        f"runs/{RUN}/artifacts/../../../x",
        f"runs/{RUN}/artifacts/a\\b",
        f"runs/{RUN}/artifacts/x\x00y",
        f"runs/{RUN}/artifacts/x.tmp",
        f"runs/{RUN}/sdk-ab12.000001.jsonl",  # a plain segment only travels as a live tail
        f"runs/{RUN}/live/sdk-ab12.000001.jsonl.zst",
        f"runs/{RUN}/index/data.mdb",
        "runs/not-a-run/x.jsonl.zst",
        f"deleted/{RUN}/x",
        "c:/windows",
        "x" * 2000,
    ],
)
def test_hostile_and_junk_keys_are_refused(key: str) -> None:
    assert classify_key(key) is None


def test_local_files_map_to_keys() -> None:
    assert key_for_local(f"runs/{RUN}/w-ab.000001.jsonl") == f"runs/{RUN}/live/w-ab.000001.jsonl"
    assert key_for_local(f"runs/{RUN}/w-ab.000001.jsonl.zst") == f"runs/{RUN}/w-ab.000001.jsonl.zst"
    assert key_for_local(f"runs/{RUN}/notes.txt") is None


def test_remotes_live_in_the_store_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNAR_REMOTE", raising=False)
    store = make_store(tmp_path)
    with pytest.raises(UsageError, match="no remote configured"):
        resolve_remote(store, None)
    add_remote(store, "team", "s3://bucket/team")
    assert resolve_remote(store, None) == ("team", "s3://bucket/team")  # the only one
    add_remote(store, "origin", "s3://bucket/mine")
    assert resolve_remote(store, None) == ("origin", "s3://bucket/mine")
    monkeypatch.setenv("RUNAR_REMOTE", "team")
    assert resolve_remote(store, None)[0] == "team"
    with pytest.raises(UsageError, match="runar remote rm"):
        add_remote(store, "origin", "s3://bucket/other")
    remove_remote(store, "team")
    assert remotes(store) == {"origin": "s3://bucket/mine"}
    assert "AWS" not in (store.root / "config.json").read_text()


def test_a_missing_obstore_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)
    with pytest.raises(RemoteError, match=r"pip install 'runar\[remote\]'"):
        open_bucket("s3://bucket/x")


def test_training_side_never_loads_obstore() -> None:
    code = (
        "import sys, runar, runar.runner.session, runar.cli.runner, runar.sdk\n"
        "assert 'obstore' not in sys.modules, 'obstore loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
