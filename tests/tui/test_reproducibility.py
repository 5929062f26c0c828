"""The Overview tab's Reproducibility section, in the real dashboard over a real store."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Static

from runar.events import MetricsLogged, RunFinished, RunStarted
from runar.store import Store

from .helpers import NS, RUN_A, SIZE, T0, run_events, settle, write_events
from .test_details_and_compare import open_details

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
RERUN = "0000000000000ddd"


def text_of(static: Static) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


def write_rerun(store: Store, acc: float) -> None:
    """A rerun of the baseline (RUN_A) whose last accuracy is ``acc``."""
    start = T0 + 9000 * NS
    write_events(
        store,
        RERUN,
        [
            RunStarted(
                run_id=RERUN,
                name="again",
                ts=start,
                argv=["train.py", "--lr", "0.001"],
                rerun_of=RUN_A,
            ),
            MetricsLogged(values={"acc": acc}, step=19, ts=start + NS),
            RunFinished(status="completed", exit_code=0, ts=start + 2 * NS),
        ],
    )


async def test_a_run_with_a_rerun_shows_its_score_and_reasons(store: Store, make_app) -> None:
    write_events(store, RUN_A, run_events(RUN_A, "baseline", T0, final_acc=0.9))
    write_rerun(store, 0.85)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_details(pilot, 1)  # newest first: the rerun, then the baseline
        text = text_of(screen.query_one("#reproducibility-text", Static))
    assert "Reproducibility" in text
    assert "over 1 rerun of 00000000" in text
    assert "acc differs by" in text
    assert "no seed in the config" in text


async def test_a_run_outside_a_family_shows_no_section(store: Store, make_app) -> None:
    write_events(store, RUN_A, run_events(RUN_A, "baseline", T0))
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_details(pilot, 0)
        assert text_of(screen.query_one("#reproducibility-text", Static)).strip() == ""
