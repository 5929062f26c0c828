"""save(): every accepted kind of object, integrity, streaming, and names that are refused."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import runar
from runar.errors import InvalidName, InvalidValue
from runar.events import ArtifactAttached
from runar.sdk.artifacts import clean_name
from runar.store import Store

from .helpers import events_of, of_type

LARGE_BYTES = 50 << 20
STREAM_PEAK_LIMIT = 8 << 20  # far below the file size: the copy never holds it whole


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def attached(store: Store, run: runar.Run) -> dict[str, ArtifactAttached]:
    return {a.name: a for a in of_type(events_of(store, run.run_id), ArtifactAttached)}


def test_a_file_is_copied_with_its_sha256(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(300_000))
    with runar.Run() as run:
        stored = run.save("ckpt/model.bin", source)
    assert stored is not None and stored.read_bytes() == source.read_bytes()
    event = attached(store, run)["ckpt/model.bin"]
    assert event.kind == "file" and event.path == "ckpt/model.bin"
    assert event.size == 300_000 and event.sha256 == sha256_of(source)


def test_a_str_naming_an_existing_file_is_copied(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "log.txt"
    source.write_text("line\n")
    with runar.Run() as run:
        run.save("log.txt", str(source))
    assert attached(store, run)["log.txt"].kind == "file"


def test_a_folder_is_copied_whole(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "tok"
    (source / "sub").mkdir(parents=True)
    (source / "vocab.txt").write_text("a b c")
    (source / "sub" / "merges.txt").write_text("ab")
    with runar.Run() as run:
        stored = run.save("tokenizer", source)
    assert stored is not None and (stored / "sub" / "merges.txt").read_text() == "ab"
    event = attached(store, run)["tokenizer"]
    assert event.kind == "folder" and event.size == 7 and event.meta == {"files": 2}


def test_saving_the_folder_that_holds_the_store_leaves_the_store_out(
    store: Store, tmp_path: Path
) -> None:
    project = store.root.parent  # the script's folder, with .runar/ inside it
    (project / "train.py").write_text("print('hi')\n")
    with runar.Run() as run:
        stored = run.save("code", project)
    assert stored is not None
    assert sorted(p.name for p in stored.iterdir()) == ["train.py"]
    event = attached(store, run)["code"]
    assert event.meta == {"files": 1, "skipped": [store.root.name]}


def test_a_large_file_is_streamed(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with open(source, "wb") as f:  # sparse: 50 MB without writing 50 MB
        f.seek(LARGE_BYTES - 4)
        f.write(b"tail")
    with runar.Run() as run:
        tracemalloc.start()
        stored = run.save("big.bin", source)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < STREAM_PEAK_LIMIT
    event = attached(store, run)["big.bin"]
    assert stored is not None and event.size == LARGE_BYTES
    assert event.sha256 == sha256_of(source) == sha256_of(stored)


@pytest.mark.parametrize(
    ("obj", "kind", "path"),
    [
        (b"\x00\x01", "bytes", "blob"),
        ("plain text", "text", "blob"),
        ({"acc": 0.9}, "json", "blob.json"),
        ([1, 2, 3], "json", "blob.json"),
    ],
)
def test_in_memory_objects_become_files(store: Store, obj: object, kind: str, path: str) -> None:
    with runar.Run() as run:
        stored = run.save("blob", obj)
    event = attached(store, run)["blob"]
    assert event.kind == kind and event.path == path
    assert stored is not None and event.sha256 == sha256_of(stored)
    if kind == "json":
        assert json.loads(stored.read_text()) == obj


def test_a_numpy_array_is_saved_as_npy(store: Store) -> None:
    weights = np.arange(12, dtype=np.float32).reshape(3, 4)
    with runar.Run() as run:
        stored = run.save("weights", weights)
    assert stored is not None and stored.name == "weights.npy"
    np.testing.assert_array_equal(np.load(stored), weights)
    assert attached(store, run)["weights"].meta == {"shape": [3, 4], "dtype": "float32"}


def test_saving_again_replaces_the_artifact(store: Store) -> None:
    with runar.Run() as run:
        run.save("notes.txt", "old")
        stored = run.save("notes.txt", "new")
    assert stored is not None and stored.read_text() == "new"
    assert not [p for p in stored.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../escape", "a/../../b", "nul\x00byte", "", "   ", "./", "C:\\win"],
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidName, match="artifact name"):
        clean_name(name)


@pytest.mark.parametrize(
    ("name", "clean"), [("a//b", "a/b"), ("./a/./b.txt", "a/b.txt"), ("a\\b", "a/b")]
)
def test_names_are_normalized(name: str, clean: str) -> None:
    assert clean_name(name) == clean


def test_a_symlink_out_of_the_artifacts_folder_is_refused(store: Store, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with runar.Run() as run:
        run.artifacts_dir.mkdir(parents=True, exist_ok=True)
        (run.artifacts_dir / "link").symlink_to(outside)
        with pytest.raises(InvalidName, match="symlink"):
            run.save("link/file.txt", "x")
    assert list(outside.iterdir()) == []


def test_a_missing_source_path_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with runar.Run() as run, pytest.raises(InvalidValue, match="no such file or folder"):
        run.save("model", tmp_path / "nope.pt")


def test_an_unsupported_object_names_what_is_accepted(store: Store) -> None:
    with runar.Run() as run, pytest.raises(TypeError, match="cannot save object as artifact"):
        run.save("thing", object())


def test_a_dict_that_is_not_json_is_a_clear_error(store: Store) -> None:
    with runar.Run() as run, pytest.raises(InvalidValue, match="as JSON"):
        run.save("cfg", {"fn": object()})


def test_storage_trouble_while_saving_warns_and_returns_none(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runar.sdk import process

    monkeypatch.setattr(process, "_warned", False)
    with runar.Run() as run:
        run.artifacts_dir.parent.mkdir(parents=True, exist_ok=True)
        run.artifacts_dir.write_text("a file where the folder should be")
        assert run.save("notes.txt", "x") is None
    assert "cannot store artifact 'notes.txt'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "typo", ["typo/path.pt", "model.safetensors", "./out", "runs/exp1/ckpt", "best.CKPT"]
)
def test_a_str_that_looks_like_a_missing_path_is_an_error(store: Store, typo: str) -> None:
    with runar.Run() as run, pytest.raises(InvalidValue) as raised:
        run.save("ckpt", typo)
    assert str(raised.value) == (
        f"save('ckpt'): no such file '{typo}'; pass text=... to store a string"
    )
    assert not run.artifacts_dir.exists()


@pytest.mark.parametrize(
    "text",
    [
        "hello world",
        "loss/acc both improved",
        "accuracy 0.91",
        "https://example.com/model.pt",
        "line one\nline two.txt",
    ],
)
def test_a_str_that_does_not_look_like_a_path_is_stored_as_text(store: Store, text: str) -> None:
    with runar.Run() as run:
        stored = run.save("notes", text)
    assert stored is not None and stored.read_text() == text
    assert attached(store, run)["notes"].kind == "text"


def test_text_stores_a_string_even_if_it_looks_like_a_path(store: Store) -> None:
    with runar.Run() as run:
        stored = run.save("where", text="typo/path.pt")
    assert stored is not None and stored.read_text() == "typo/path.pt"
    assert attached(store, run)["where"].kind == "text"


def test_text_of_an_existing_file_name_stores_the_name_not_the_file(
    store: Store, tmp_path: Path
) -> None:
    source = tmp_path / "data.csv"
    source.write_text("a,b\n1,2\n")
    with runar.Run() as run:
        stored = run.save("path.txt", text=str(source))
    assert stored is not None and stored.read_text() == str(source)


@pytest.mark.parametrize(
    ("args", "kwargs"), [(("x",), {"text": "y"}), ((), {}), ((), {"text": b"bytes"})]
)
def test_save_takes_exactly_one_object_or_text(
    store: Store, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with runar.Run() as run, pytest.raises(TypeError, match="save"):
        run.save("notes", *args, **kwargs)


def test_module_level_save_passes_text_on(store: Store) -> None:
    with runar.Run() as run:
        runar.save("readme.md", text="# results")
    assert (run.artifacts_dir / "readme.md").read_text() == "# results"
