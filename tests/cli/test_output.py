import json
import threading
import time

import pytest
from typer.testing import CliRunner

from runar.events import MetricsLogged, OutputCaptured, RunFinished, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store

from .helpers import invoke, write_run


def test_logs_prints_each_stream_to_its_own(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    result = invoke(cli, "logs", "baseline")
    assert result.stdout == "epoch 1 done\n"
    assert result.stderr == "warning: slow\n"


def test_logs_stream_option_prints_one_stream_to_stdout(
    cli: CliRunner, two_runs: tuple[str, str]
) -> None:
    result = invoke(cli, "logs", "baseline", "--stream", "stderr")
    assert result.stdout == "warning: slow\n" and result.stderr == ""


def test_logs_keeps_carriage_returns_and_colours(cli: CliRunner, store: Store) -> None:
    text = "\x1b[32m 10%\r 50%\r100%\x1b[0m\n"
    write_run(store, name="bars", output=[("stdout", text)])
    assert invoke(cli, "logs", "bars").stdout == text


@pytest.mark.timeout(60)
def test_logs_follow_prints_until_the_run_finishes(cli: CliRunner, store: Store) -> None:
    run_id = new_run_id()
    writer = JournalWriter(store.run_dir(run_id), run_id, role="runner")
    writer.append(RunStarted(run_id=run_id, name="live"))
    writer.append(OutputCaptured(stream="stdout", text="first\n"))
    writer.flush()

    def finish_later() -> None:
        time.sleep(1.0)
        writer.append(OutputCaptured(stream="stdout", text="second\n"))
        writer.append(RunFinished(status="completed", exit_code=0))
        writer.close()

    thread = threading.Thread(target=finish_later)
    thread.start()
    result = invoke(cli, "logs", "live", "--follow")
    thread.join()
    assert result.stdout == "first\nsecond\n"


def test_replay_tells_the_story_in_order(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    out = invoke(cli, "replay", "baseline").stdout
    order = [
        "▶ run started: baseline",
        "⚙ config",
        "┌ step train",
        "step 1  loss=0.4",
        "epoch 1 done",
        "└ step train completed",
        "◆ artifact model.pt",
        "✓ completed",
    ]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_replay_json_emits_every_raw_event(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    lines = invoke(cli, "replay", "baseline", "--json").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    types = [e["type"] for e in events]
    assert {"writer", "run_started", "config", "output", "run_finished"} <= set(types)
    assert types.count("metrics") == 2 and "output" in types
    assert all({"writer", "seq", "ts"} <= set(e) for e in events)


def test_replay_json_spells_out_non_finite_values(cli: CliRunner, store: Store) -> None:
    write_run(store, name="inf", metrics=[{"loss": float("inf")}])
    lines = invoke(cli, "replay", "inf", "--json").stdout.splitlines()
    [metrics] = [json.loads(line) for line in lines if '"metrics"' in line]
    assert metrics["values"] == {"loss": "inf"}


@pytest.mark.timeout(60)
def test_replay_speed_follows_the_original_timing(cli: CliRunner, store: Store) -> None:
    run_id = new_run_id()
    now = time.time_ns()
    with JournalWriter(store.run_dir(run_id), run_id) as writer:
        writer.append(RunStarted(run_id=run_id, name="timed", ts=now))
        writer.append(MetricsLogged(values={"x": 1.0}, ts=now + 2_000_000_000))
        writer.append(RunFinished(status="completed", ts=now + 2_000_000_000))
    started = time.monotonic()
    invoke(cli, "replay", "timed", "--speed", "4")  # 2 s of run time at 4x: 0.5 s
    assert time.monotonic() - started >= 0.5


@pytest.mark.timeout(60)
def test_replay_shortens_long_pauses(cli: CliRunner, store: Store) -> None:
    run_id = new_run_id()
    now = time.time_ns()
    with JournalWriter(store.run_dir(run_id), run_id) as writer:
        writer.append(RunStarted(run_id=run_id, name="gap", ts=now - 3600 * 1_000_000_000))
        writer.append(RunFinished(status="completed", ts=now))
    started = time.monotonic()
    invoke(cli, "replay", "gap", "--speed", "1")
    assert time.monotonic() - started < 30
