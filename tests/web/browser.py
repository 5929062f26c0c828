"""Browser-test parts: Debian's Chromium driven by Playwright, and a demo store worth looking at.

The browser is the system's ``/usr/bin/chromium`` (never ``playwright install``: it downloads a
browser, which CI cannot). One browser per test session; each test gets a fresh context and
page that fails the test on any uncaught page error or alert. Playwright's loop counts as the
thread's running loop only during a test that has a page, so asyncio and anyio tests can run
after browser tests on the same worker (test_browser_then_asyncio.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import random
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from runar.events import (
    AnyEvent,
    ArtifactAttached,
    ConfigSet,
    GitState,
    MetricsLogged,
    NoteAdded,
    OutputCaptured,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    SystemSampled,
    TagsChanged,
)
from runar.ids import ALPHABET
from runar.journal import JournalWriter
from runar.store import Store

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS: Final = 15_000
VIEWPORT: Final = {"width": 1400, "height": 900}

NS: Final = 1_000_000_000
DEMO_T0: Final = 1_767_258_000 * NS  # 2026-01-01 09:00 UTC: fixed, so screenshots hold still


@dataclass
class PageWatch:
    """What a page did that a test must know about: errors thrown, dialogs opened."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@dataclass
class Browsing:
    """The session's Chromium and the event loop Playwright's sync API drives it through."""

    browser: Any
    loop: asyncio.AbstractEventLoop

    @contextlib.contextmanager
    def driving(self) -> Iterator[Any]:
        """The browser, with Playwright's loop as this thread's running loop for the block only.

        Each sync call leaves its loop marked as the thread's running loop (the loop waits,
        suspended in a greenlet, until the next call: wait_for_future in Playwright's
        _impl/_greenlets.py), so for the rest of the session ``asyncio.run()`` and anyio
        refused to start a loop of their own in this thread. Between browser tests the mark is
        off; a sync call made outside this block would find no running loop and fail.
        """
        asyncio._set_running_loop(self.loop)
        try:
            yield self.browser
        finally:
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browsing]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        session = Browsing(chromium, asyncio.get_running_loop())
        asyncio._set_running_loop(None)  # free the thread until a test drives the browser
        yield session
        # marked running again for the close and the exit's last switch into the loop, as
        # after any sync call; the loop clears the mark itself when it ends
        asyncio._set_running_loop(session.loop)
        chromium.close()


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser: Browsing, page_watch: PageWatch) -> Iterator[Any]:
    """A fresh page in UTC; any uncaught error or alert fails the test."""
    with browser.driving() as chromium:
        context = chromium.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-US")
        context.set_default_timeout(WAIT_MS)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: page_watch.errors.append(str(exc)))

        def on_dialog(dialog: Any) -> None:
            page_watch.dialogs.append(dialog.message)
            dialog.dismiss()

        tab.on("dialog", on_dialog)
        yield tab
        context.close()
    assert page_watch.errors == [], f"the page threw: {page_watch.errors}"
    assert page_watch.dialogs == [], f"the page opened dialogs: {page_watch.dialogs}"


def chart_state(page: Any, chart_id: str) -> dict[str, Any]:
    """A uPlot chart's series labels and drawn points, read through window.__runar."""
    page.wait_for_function("id => !!window.__runar?.charts?.[id]", arg=chart_id)
    return page.evaluate(
        """id => {
            const u = window.__runar.charts[id];
            return {
                labels: u.series.slice(1).map(s => s.label),
                x: u.data[0],
                ys: u.data.slice(1),
                nonfinite: u.runar.nonfinite,
                width: u.width,
            };
        }""",
        chart_id,
    )


def painted_pixels(page: Any, selector: str) -> int:
    """How many pixels of the first canvas under ``selector`` are not blank."""
    return page.evaluate(
        """sel => {
            const c = document.querySelector(sel + ' canvas');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
            return n;
        }""",
        selector,
    )


# A demo store: a small sweep that looks like real training, for the pages and screenshots.


def _png(width: int, height: int, seed: int) -> bytes:
    """A real PNG (a smooth colour field) built with zlib, so previews show an image."""
    rows = b"".join(
        b"\x00"
        + bytes(
            v
            for x in range(width)
            for v in (
                (x * 255 // width + seed * 40) % 256,
                (y * 255 // height) % 256,
                (200 - x * y * 100 // (width * height)) % 256,
            )
        )
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class DemoRun:
    name: str
    lr: float
    width: int
    seed: int
    tags: tuple[str, ...] = ()
    diverges: bool = False


DEMO_RUNS: Final = (
    DemoRun("baseline", 1e-3, 256, 1, ("baseline",)),
    DemoRun("lr-3e-4", 3e-4, 256, 2, ("sweep",)),
    DemoRun("lr-3e-3", 3e-3, 256, 3, ("sweep",)),
    DemoRun("wide-512", 1e-3, 512, 4, ("sweep", "wide")),
    DemoRun("lr-3e-2", 3e-2, 256, 5, ("sweep",), diverges=True),
)
DEMO_STEPS: Final = 300


def _attach(
    store: Store, run_id: str, name: str, kind: str, body: bytes, ts: int, step: str | None
) -> ArtifactAttached:
    folder = store.artifacts_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(body)
    return ArtifactAttached(
        name=name,
        kind=kind,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        path=name,
        ts=ts,
        workflow_step=step,
    )


def demo_events(store: Store, run_id: str, spec: DemoRun, start: int) -> list[AnyEvent]:
    """One training run: prepare → train → evaluate steps, curves, output, artifacts, samples."""
    rng = random.Random(spec.seed)
    at = start
    events: list[AnyEvent] = [
        RunStarted(
            run_id=run_id,
            name=spec.name,
            source="runner",
            ts=at,
            argv=["train.py", "--lr", str(spec.lr), "--width", str(spec.width)],
            command=["python", "train.py", "--lr", str(spec.lr), "--width", str(spec.width)],
            cwd="/home/ada/cifar",
            host="gpu-box",
            pid=4242 + spec.seed,
            user="ada",
            python="3.11.9",
            platform="Linux-6.8-x86_64",
            git=GitState(
                commit="3f9c2a1be07d44c1a9e0f5b6d2c8e7a1b4f6d901",
                branch="main",
                dirty=spec.seed % 2 == 0,
            ),
            env={"CUDA_VISIBLE_DEVICES": "0", "WANDB_API_KEY": "[redacted]", "LANG": "C.UTF-8"},
            packages={"numpy": "1.26.4", "torch": "2.3.1", "runar": "0.1.0"},
            parse_output=False,  # the printed progress lines repeat logged values
        ),
        ConfigSet(
            values={
                "optim": {"lr": spec.lr, "name": "adamw", "weight_decay": 0.01},
                "model": {"width": spec.width, "depth": 6},
                "batch_size": 128,
                "epochs": 3,
            },
            ts=at + 1,
        ),
        TagsChanged(added=list(spec.tags), ts=at + 2),
        StepStarted(step_id="prep", name="prepare data", ts=at + 3),
        OutputCaptured(
            stream="stdout",
            text="\x1b[1mloading CIFAR-10\x1b[0m: 50000 train, 10000 test\n",
            ts=at + 4,
        ),
    ]
    at += 4 * NS
    events += [
        StepFinished(step_id="prep", status="completed", ts=at),
        StepStarted(step_id="train", name="train", ts=at + 1),
    ]
    loss = 2.3
    rate = 0.012 * min(spec.lr / 1e-3, 3.0) * (1.3 if spec.width > 256 else 1.0)
    floor = 0.25 + 0.1 * abs(math.log10(spec.lr / 1e-3))
    failed_at = int(DEMO_STEPS * 0.55) if spec.diverges else None
    for i in range(DEMO_STEPS):
        at += NS // 2
        if failed_at is not None and i >= failed_at:
            values = {"loss": math.nan if i > failed_at else math.inf, "acc": 0.1}
            events.append(MetricsLogged(values=values, step=i, workflow_step="train", ts=at))
            if i > failed_at + 2:
                break
            continue
        noise = rng.gauss(0, 0.025) * math.exp(-i / 300)
        loss = floor + (2.3 - floor) * math.exp(-rate * i) + noise
        acc = min(0.99, 1 - loss / 2.6 + rng.gauss(0, 0.008))
        values = {"loss": loss, "acc": acc}
        if i % 25 == 24:
            values["val_loss"] = loss * 1.15 + rng.gauss(0, 0.02)
        events.append(MetricsLogged(values=values, step=i, workflow_step="train", ts=at))
        if i % 5 == 0:
            events.append(
                SystemSampled(
                    cpu_percent=60 + rng.random() * 30,
                    rss_bytes=(1800 + i * 2) * 1_000_000,
                    ts=at + 1,
                )
            )
        if i % 50 == 49:
            events.append(
                OutputCaptured(
                    stream="stdout",
                    text=f"\x1b[32mepoch {i // 100 + 1}\x1b[0m step {i + 1}: "
                    f"loss={loss:.4f} acc={acc:.4f}\n",
                    ts=at + 2,
                )
            )
    if failed_at is not None:
        at += NS
        events += [
            OutputCaptured(
                stream="stderr",
                text=f"\x1b[31mFloatingPointError: loss is nan at step {failed_at}\x1b[0m\n",
                ts=at,
            ),
            StepFinished(
                step_id="train",
                status="failed",
                error_type="FloatingPointError",
                error=f"FloatingPointError: loss is nan at step {failed_at}",
                ts=at + 1,
            ),
            RunFinished(
                status="failed",
                exit_code=1,
                error=f"FloatingPointError: loss is nan at step {failed_at}",
                error_type="FloatingPointError",
                traceback=(
                    '  File "train.py", line 88, in <module>\n    check(loss)\n'
                    f"FloatingPointError: loss is nan at step {failed_at}"
                ),
                ts=at + 2,
            ),
        ]
        return events
    at += NS
    events += [
        _attach(
            store,
            run_id,
            "checkpoint.pt",
            "file",
            bytes(rng.randrange(256) for _ in range(4096)),
            at,
            "train",
        ),
        StepFinished(step_id="train", status="completed", ts=at + 1),
        StepStarted(step_id="eval", name="evaluate", ts=at + 2),
    ]
    at += 6 * NS
    events += [
        OutputCaptured(
            stream="stderr",
            text="\x1b[33mwarning:\x1b[0m 12 test images skipped (corrupt)\n",
            ts=at,
        ),
        _attach(store, run_id, "confusion.png", "image", _png(96, 72, spec.seed), at + 1, "eval"),
        _attach(
            store,
            run_id,
            "report.json",
            "json",
            f'{{"test_acc": {1 - loss / 2.4:.4f}, "skipped": 12}}'.encode(),
            at + 2,
            "eval",
        ),
        StepFinished(step_id="eval", status="completed", ts=at + 3),
        NoteAdded(text=f"{spec.name}: lr {spec.lr}", ts=at + 4),
        RunFinished(status="completed", exit_code=0, ts=at + 5),
    ]
    return events


def write_demo(store: Store) -> dict[str, str]:
    """The demo sweep in ``store``; returns run name → id."""
    ids = {}
    for n, spec in enumerate(DEMO_RUNS):
        pick = random.Random(n)
        run_id = "".join(pick.choice(ALPHABET) for _ in range(16))
        writer = JournalWriter(store.run_dir(run_id), run_id, role="runner")
        for event in demo_events(store, run_id, spec, DEMO_T0 + n * 900 * NS):
            writer.append(event)
        writer.close()
        ids[spec.name] = run_id
    return ids


def wait_rows(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('table.runs tbody tr').length === n", arg=count
    )


def row_names(page: Any) -> list[str]:
    return page.locator("table.runs tbody td.name a").all_inner_texts()


@pytest.fixture(scope="session")
def demo_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo sweep on a real uvicorn, shared by the tests that only read it:
    (base URL, run name → id)."""
    from runar.web.app import create_app
    from runar.web.serve import serving_in_thread

    store = Store(tmp_path_factory.mktemp("demo") / ".runar").create()
    runs = write_demo(store)
    with serving_in_thread(create_app(store)) as base:
        yield base, runs


class DroppingProxy:
    """A TCP relay in front of the server that can cut every connection, as a flaky network or
    a dropped stream would, and refuse new ones until told otherwise."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.refusing = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass  # the other side went away: the finally closes both
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        """Cut every open connection now and refuse new ones until ``restore()``."""
        self.refusing = True
        with self._lock:
            cut, self._open = self._open, []
        for s in cut:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self, upstream_port: int | None = None) -> None:
        if upstream_port is not None:
            self.upstream_port = upstream_port
        self.refusing = False

    def close(self) -> None:
        self.drop()
        self._listener.close()
