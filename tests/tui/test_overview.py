"""The Overview tab: the arguments, and why a failed run failed."""

from __future__ import annotations

import io

from rich.console import Console

from runar.events import RunFinished, RunStarted
from runar.tui.catalog import RunEntry
from runar.tui.widgets.overview import overview
from runar.views.summary import RunSummary
from runar.views.summary_fold import fold

TRACEBACK = """\
Traceback (most recent call last):
  File "/home/ada/project/train.py", line 88, in <module>
    loss.backward()
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB
"""


def _text(entry: RunEntry) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(overview(entry, now_s=2.0))
    return console.export_text()


def _summary(*events: RunStarted | RunFinished) -> RunSummary:
    summary = RunSummary(run_id="r1")
    for seq, event in enumerate(events, start=1):
        event.ts, event.seq, event.writer = seq * 1_000_000_000, seq, "w"
        fold(summary, event)
    return summary


def test_a_failed_run_shows_its_exception_and_traceback_tail() -> None:
    summary = _summary(
        RunStarted(run_id="r1", argv=["train.py", "--batch_size=64", "--compile"]),
        RunFinished(
            status="failed",
            exit_code=1,
            error="torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            error_type="OutOfMemoryError",
            traceback=TRACEBACK,
        ),
    )
    text = _text(RunEntry(summary, "failed"))
    assert "OutOfMemoryError" in text
    assert 'File "/home/ada/project/train.py", line 88, in <module>' in text
    assert "loss.backward()" in text
    assert "arguments  --batch_size=64 --compile" in text
    assert "batch_size: 64" in text and "compile: True" in text


def test_a_completed_run_has_no_error_section() -> None:
    summary = _summary(
        RunStarted(run_id="r1", argv=["train.py"]),
        RunFinished(status="completed", exit_code=0),
    )
    text = _text(RunEntry(summary, "completed"))
    assert "error" not in text and "arguments" not in text
