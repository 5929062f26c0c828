"""remote/artifacts.py: saved files go up once per content hash and land where the log says."""

from __future__ import annotations

import os
from pathlib import Path

import obstore
import pytest

from runar.remote.bucket import open_bucket
from runar.remote.pull import pull
from runar.remote.push import push
from runar.sdk.run import Run
from runar.store import Store
from tests.remote.conftest import make_store


def save_runs(store: Store, data: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("RUNAR_DIR", str(store.root))
    monkeypatch.delenv("RUNAR_RUN_ID", raising=False)
    ids = []
    for name in ("first", "second"):
        with Run(name) as run:
            run.save("dataset", data)
            folder = data.parent / f"folder-{name}"
            folder.mkdir()
            (folder / "a.txt").write_text(name)
            run.save("folder", folder)
            ids.append(run.run_id)
    return ids


def test_one_blob_for_the_same_file_in_two_runs(
    tmp_path: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(100_000))
    ids = save_runs(a, data, monkeypatch)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    keys = [o.key for o in bucket.list()]
    assert len([k for k in keys if k.startswith("blobs/")]) == 1
    assert not [k for k in keys if k.endswith("/dataset")]
    assert len([k for k in keys if "/artifacts/" in k]) == 2  # each saved folder's file
    assert push(a, bucket).files_copied == 0
    report = pull(b, bucket)
    assert not report.refused, report.refused
    for run_id in ids:
        assert (b.run_dir(run_id) / "artifacts" / "dataset").read_bytes() == data.read_bytes()
        assert sorted(p.name for p in (b.run_dir(run_id) / "artifacts").rglob("a.txt")) == ["a.txt"]
    assert pull(b, bucket).files_copied == 0


def test_a_blob_whose_bytes_are_not_its_name_is_not_placed(
    tmp_path: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    data = tmp_path / "data.bin"
    data.write_bytes(b"the real bytes" * 100)
    ids = save_runs(a, data, monkeypatch)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    (blob,) = [o.key for o in bucket.list() if o.key.startswith("blobs/")]
    obstore.delete(bucket.store, blob)
    obstore.put(bucket.store, blob, b"forged bytes" * 100)
    report = pull(b, bucket)
    assert any("do not hash to its name" in r for r in report.refused)
    assert not (b.run_dir(ids[0]) / "artifacts" / "dataset").exists()
    assert (b.run_dir(ids[0]) / "artifacts" / "folder" / "a.txt").read_text() == "first"


def test_doctor_remote_checks_blobs_against_their_names(
    tmp_path: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runar.remote.verify import verify

    a = make_store(tmp_path / "a")
    data = tmp_path / "data.bin"
    data.write_bytes(b"payload" * 1000)
    save_runs(a, data, monkeypatch)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    assert verify(bucket).healthy
    (blob,) = [o.key for o in bucket.list() if o.key.startswith("blobs/")]
    obstore.delete(bucket.store, blob)
    obstore.put(bucket.store, blob, b"forged")
    obstore.put(bucket.store, "blobs/" + "0" * 64, b"nobody's")
    check = verify(bucket)
    assert sorted(check.damaged) == sorted([blob, "blobs/" + "0" * 64])
    assert "blobs/" + "0" * 64 in check.orphans


def test_a_big_blob_goes_up_in_parts(
    tmp_path: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runar.remote import bucket as bucket_module

    monkeypatch.setattr(bucket_module, "MULTIPART_BYTES", 1 << 20)
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(6 << 20))  # over obstore's 5 MiB part size: two parts
    ids = save_runs(a, data, monkeypatch)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    assert len([o for o in bucket.list() if o.key.startswith("blobs/")]) == 1
    pull(b, bucket)
    assert (b.run_dir(ids[1]) / "artifacts" / "dataset").read_bytes() == data.read_bytes()
