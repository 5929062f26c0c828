"""A bucket holding junk and hostile keys: nothing lands outside the store, memory stays bounded."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from runar.remote import layout
from runar.remote.bucket import RemoteError, open_bucket
from runar.remote.pull import pull
from runar.remote.push import push
from tests.remote.conftest import S3Server, make_store, write_run


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def raw_put(s3: S3Server, url: str, key: str, body: bytes) -> None:
    """Write a key as any client could, without runar's or obstore's checks."""
    bucket, _, prefix = url[len("s3://") :].partition("/")
    httpx.put(f"{s3.endpoint}/{bucket}/{prefix}/{key}", content=body).raise_for_status()


def test_junk_and_hostile_keys_beside_the_runs_are_refused(
    tmp_path: Path, bucket_url: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_store(tmp_path / "a")
    good = write_run(a, 5)
    push(a, open_bucket(bucket_url))
    other = "0" * 4 + good[4:]
    hostile = {
        "../escape.jsonl.zst": b"x",  # obstore refuses such names: listed around
        "/abs/path": b"x",
        "hello.txt": b"junk",
        f"runs/{good}/weird.bin": b"junk",
        f"runs/{good}/artifacts/.evil.tmp": b"junk",
        "runs/not-a-run-id/x.jsonl.zst": b"junk",
        f"deleted/{good}x": b"junk",
        f"runs/{other}/w-abc.000001.jsonl.zst": b"z" * 5000,  # over the (lowered) cap
        f"runs/{other}/live/w-abc.000002.jsonl.zst": b"junk",
    }
    for key, body in hostile.items():
        raw_put(s3_server, bucket_url, key, body)
    monkeypatch.setattr(layout, "SEGMENT_MAX_BYTES", 4096)
    b = make_store(tmp_path / "b")
    outside_before = files_under(tmp_path)
    report = pull(b, open_bucket(bucket_url))
    assert report.runs_new == [good]
    assert len(report.refused) >= 6
    created = files_under(tmp_path) - outside_before
    assert all(name.startswith(os.path.join("b", ".runar")) for name in created)
    assert not (b.root / "runs" / other).exists()
    assert not list(b.root.rglob("*.tmp"))
    assert not (b.root / "runs" / good / "weird.bin").exists()


def test_a_hostile_key_inside_runs_stops_the_pull_with_one_line(
    tmp_path: Path, bucket_url: str, s3_server: S3Server
) -> None:
    raw_put(s3_server, bucket_url, "runs//outside.txt", b"x")
    b = make_store(tmp_path / "b")
    with pytest.raises(RemoteError) as caught:
        pull(b, open_bucket(bucket_url))
    assert "\n" not in str(caught.value) and "delete that object" in str(caught.value)
    assert not (tmp_path / "outside.txt").exists()
    assert os.listdir(b.runs_dir) == []


def test_a_download_larger_than_its_listing_is_cut_off(
    tmp_path: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 5)
    art = a.run_dir(run_id) / "artifacts" / "big.bin"
    art.parent.mkdir()
    art.write_bytes(os.urandom(300_000))
    push(a, open_bucket(bucket_url))
    monkeypatch.setattr(layout, "FILE_MAX_BYTES", 100_000)
    report = pull(b, open_bucket(bucket_url))
    assert any("big.bin" in r for r in report.refused)
    assert not (b.run_dir(run_id) / "artifacts" / "big.bin").exists()
    assert not list(b.root.rglob("*.tmp"))


def test_a_symlinked_folder_in_the_store_is_never_followed(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 5)
    (a.run_dir(run_id) / "artifacts").mkdir()
    (a.run_dir(run_id) / "artifacts" / "x.txt").write_text("payload")
    push(a, open_bucket(bucket_url))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    b.run_dir(run_id).mkdir()
    (b.run_dir(run_id) / "artifacts").symlink_to(elsewhere)
    report = pull(b, open_bucket(bucket_url))
    assert any("symlink" in r for r in report.refused)
    assert os.listdir(elsewhere) == []
