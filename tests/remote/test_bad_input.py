"""What a user gets wrong about remotes gives one line, fast, and changes nothing local."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import obstore
import pytest
from typer.testing import CliRunner

from runar.cli.share import describe_sync
from runar.errors import UsageError
from runar.journal.sync import mark_deleted
from runar.remote import bucket as bucket_module
from runar.remote.bucket import Bucket, RemoteError, open_bucket
from runar.remote.pull import pull
from runar.remote.push import push
from runar.remote.url import parse_url
from runar.store import Store
from tests.cli.helpers import invoke_main
from tests.remote.conftest import make_store, write_run


@pytest.fixture
def in_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with one run, current for the CLI; the current folder is ``tmp_path``."""
    store = make_store(tmp_path)
    write_run(store, 3)
    monkeypatch.setenv("RUNAR_DIR", str(store.root))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("bad", ["s3:/bucket", "s4://x/y", "https://host/team"])
def test_sync_with_a_malformed_url_is_one_line_not_a_new_folder(in_store: Path, bad: str) -> None:
    code, _, err = invoke_main(CliRunner(), "sync", ".runar", bad)
    assert code == 1
    assert err.strip().count("\n") == 0 and bad in err and "s3://BUCKET/PREFIX" in err
    assert sorted(p.name for p in in_store.iterdir()) == [".runar"]


@pytest.mark.parametrize("name", ["k9", "Team", "-team", "a" * 64])
def test_a_name_no_bucket_can_have_is_refused_before_any_request(name: str) -> None:
    with pytest.raises(UsageError, match="is not a bucket name"):
        parse_url(f"s3://{name}/team")


@pytest.mark.parametrize("bad", ["s3:/bucket", "s4://x"])
def test_push_to_a_malformed_url_names_the_url_not_a_remote(in_store: Path, bad: str) -> None:
    code, _, err = invoke_main(CliRunner(), "push", bad)
    assert code == 1
    assert "is not a remote; use s3://BUCKET/PREFIX" in err and "runar remote ls" not in err


def test_an_endpoint_without_a_scheme_is_one_line_not_a_panic(
    in_store: Path, bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "127.0.0.1:9000")  # obstore panics on it
    code, _, err = invoke_main(CliRunner(), "push", bucket_url)
    assert code == 1
    assert err.startswith("error: AWS_ENDPOINT_URL='127.0.0.1:9000' is not an endpoint URL")
    assert "Traceback" not in err and "Panic" not in err


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers: the endpoint URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_fails_the_listing(
    bucket_url: str, silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the request used to wait for its whole 10-minute timeout, several times over
    monkeypatch.setattr(bucket_module, "READ_STALL_S", 1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_server)
    outcome: list[BaseException] = []

    def listing() -> None:
        try:
            open_bucket(bucket_url).list()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=listing, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the listing still waits for a server that never answers"
    assert len(outcome) == 1 and isinstance(outcome[0], RemoteError)
    assert str(outcome[0]).startswith(f"cannot list {bucket_url}")


def two_stores_disagreeing_on_a_segment(
    tmp_path: Path, bucket_url: str
) -> tuple[Store, Store, str, Bucket]:
    """Store a pushed a run, b pulled it and then changed a sealed segment's bytes."""
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 3)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    pull(b, bucket)
    sealed = next(p for p in b.run_dir(run_id).iterdir() if p.name.endswith(".zst"))
    sealed.write_bytes(sealed.read_bytes() + b"\0")  # the same name, other bytes
    return a, b, run_id, bucket


def test_a_push_conflict_says_that_ours_was_set_aside(tmp_path: Path, bucket_url: str) -> None:
    _, b, _, bucket = two_stores_disagreeing_on_a_segment(tmp_path, bucket_url)
    report = push(b, bucket)
    (line,) = [x for x in describe_sync(report, pushed=True).splitlines() if "conflict" in x]
    assert "the bucket's stays, ours kept there as conflicts/" in line


def test_everywhere_also_deletes_the_runs_conflict_copies(tmp_path: Path, bucket_url: str) -> None:
    a, b, run_id, bucket = two_stores_disagreeing_on_a_segment(tmp_path, bucket_url)
    assert push(b, bucket).conflicts  # b's copy now sits under conflicts/<run_id>/
    mark_deleted(a.root, run_id)
    report = push(a, bucket, everywhere=True)
    assert report.tombstones_copied == 1
    left = [o["path"] for chunk in obstore.list(bucket.store, None) for o in chunk]
    assert [k for k in left if run_id in k] == [f"deleted/{run_id}"]


def test_a_pull_counts_the_deletions_it_learns(tmp_path: Path, bucket_url: str) -> None:
    a, b = make_store(tmp_path / "a"), make_store(tmp_path / "b")
    run_id = write_run(a, 3)
    bucket = open_bucket(bucket_url)
    push(a, bucket)
    pull(b, bucket)
    mark_deleted(a.root, run_id)
    assert push(a, bucket).tombstones_copied == 1
    assert pull(b, bucket).tombstones_copied == 1
    assert pull(b, bucket).tombstones_copied == 0


def test_a_file_no_pull_would_accept_is_not_pushed(tmp_path: Path, bucket_url: str) -> None:
    a = make_store(tmp_path / "a")
    run_id = write_run(a, 3)
    deep = a.run_dir(run_id) / "artifacts" / Path(*["d"] * 40) / "x.bin"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(b"x")  # e.g. a folder saved recursively into itself
    bucket = open_bucket(bucket_url)
    report = push(a, bucket)
    assert any("x.bin" in line for line in report.refused)
    assert not [
        o for chunk in obstore.list(bucket.store, None) for o in chunk if "/d/d/" in o["path"]
    ]


def test_serve_refuses_writes_into_a_remotes_read_cache(in_store: Path) -> None:
    code, _, err = invoke_main(CliRunner(), "serve", "--remote", "origin", "--write")
    assert code == 1 and err.startswith("error: --write records into this store")
    assert not (in_store / ".runar" / "cache" / "remotes").exists()  # nothing pulled first
