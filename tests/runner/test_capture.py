"""Batching output bytes into events: order, UTF-8 boundaries, raw bytes."""

from __future__ import annotations

import time

import pytest

from runar.events import OutputCaptured
from runar.runner import capture
from runar.runner.capture import OutputRecorder, OutputTail, incomplete_utf8_tail, to_event


def recorder() -> tuple[OutputRecorder, list[OutputCaptured]]:
    emitted: list[OutputCaptured] = []
    return OutputRecorder(emitted.append), emitted


def test_small_chunks_are_joined_into_one_event() -> None:
    rec, emitted = recorder()
    for i in range(50):
        rec.add("stdout", f"line {i}\n".encode())
    rec.close()
    assert len(emitted) == 1
    assert emitted[0].text == "".join(f"line {i}\n" for i in range(50))


def test_a_batch_is_emitted_once_it_has_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "FLUSH_AFTER_S", 0.0)
    rec, emitted = recorder()
    rec.add("stdout", b"a")
    time.sleep(0.001)
    rec.tick()
    assert [e.text for e in emitted] == ["a"]


def test_a_batch_waits_when_it_is_young() -> None:
    rec, emitted = recorder()
    rec.add("stdout", b"a")
    rec.tick()
    assert emitted == []


def test_a_big_batch_is_emitted_at_once() -> None:
    rec, emitted = recorder()
    rec.add("stdout", b"x" * capture.FLUSH_BYTES)
    assert len(emitted) == 1


def test_switching_streams_keeps_the_interleaving() -> None:
    rec, emitted = recorder()
    rec.add("stdout", b"1")
    rec.add("stderr", b"2")
    rec.add("stdout", b"3")
    rec.close()
    assert [(e.stream, e.text) for e in emitted] == [
        ("stdout", "1"),
        ("stderr", "2"),
        ("stdout", "3"),
    ]


def test_a_character_split_across_reads_is_held_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "FLUSH_AFTER_S", 0.0)
    rec, emitted = recorder()
    snowman = "☃".encode()
    rec.add("stdout", b"a" + snowman[:2])
    rec.tick()
    rec.add("stdout", snowman[2:])
    rec.close()
    assert [e.text for e in emitted] == ["a", "☃"]


def test_bytes_that_are_not_utf8_are_kept_raw() -> None:
    rec, emitted = recorder()
    rec.add("stdout", b"\xff\xfeok")
    rec.close()
    assert emitted[0].text is None and emitted[0].data == b"\xff\xfeok"


def test_carriage_returns_and_colours_are_kept() -> None:
    rec, emitted = recorder()
    rec.add("stdout", b"\x1b[31m10%\r20%\r\x1b[0mdone\n")
    rec.close()
    assert emitted[0].text == "\x1b[31m10%\r20%\r\x1b[0mdone\n"


@pytest.mark.parametrize(
    ("data", "tail"),
    [
        (b"abc", 0),
        (b"", 0),
        ("é".encode()[:1], 1),
        ("☃".encode()[:2], 2),
        ("😀".encode()[:3], 3),
        ("😀".encode(), 0),
        (b"a" + "é".encode(), 0),
        (b"\x80\x80\x80\x80", 0),
    ],
)
def test_incomplete_utf8_tail(data: bytes, tail: int) -> None:
    assert incomplete_utf8_tail(data) == tail


def test_the_tail_keeps_only_the_last_bytes() -> None:
    tail = OutputTail(limit=10)
    for i in range(100):
        tail.add(f"line {i}\n".encode())
    assert tail.text() == "8\nline 99\n"


def test_the_tail_survives_a_character_cut_at_its_start() -> None:
    tail = OutputTail(limit=4)
    tail.add("é".encode() * 3)  # 6 bytes: the window starts inside a character
    assert tail.text() == "éé"
    tail.add(b"\xff")
    assert tail.text().endswith("\ufffd")


def test_credentials_printed_by_the_script_are_redacted_in_the_record() -> None:
    token = "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
    printed = f"Namespace(model='gpt2', hf_token='{token}', lr=0.1)\n".encode()
    event = to_event("stdout", printed)
    assert event.text is not None and token not in event.text
    assert event.text.startswith("Namespace(model='gpt2', hf_token=")
