"""Anomalies as a projection: folded by the projector from real logs, configured by the
script (runar.watch/alert, plain python and under the runner) and the store's config."""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runar.events import AlertRaised, MetricsLogged, OutputCaptured, WatchSet
from runar.projector import catch_up, rebuild
from runar.store import Store
from runar.views import open_views
from runar.views.anomaly_watch import AnomalyConfigError, alarming, stall_of, to_record
from runar.views.summary import RunSummary, WriterInfo

from .helpers import write_run

RUNAR = [sys.executable, "-m", "runar"]


def curve(n: int = 600, nan_at: int | None = None, spike_at: int | None = None) -> list[float]:
    values = [2.0 / (1 + i / 40) + 0.5 + 0.01 * math.sin(i * 1.3) for i in range(n)]
    if nan_at is not None:
        values[nan_at] = math.nan
    if spike_at is not None:
        values[spike_at] *= 10
    return values


def metric_events(key: str, values: list[float]) -> list[MetricsLogged]:
    return [MetricsLogged(values={key: v}, step=i) for i, v in enumerate(values)]


def found(store: Store, ref: str) -> list[tuple[str, str, int | None]]:
    """The run's warnings and errors (a plateau is information)."""
    with open_views(store) as views:
        return [(a.rule, a.key, a.first_step) for a in alarming(views.anomalies(ref))]


def run_python(store: Store, tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [*args, str(script)] if args else [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "RUNAR_DIR": str(store.root)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_projector_folds_anomalies_from_the_log(store):
    write_run(store, metric_events("loss", curve(nan_at=200, spike_at=400)), name="r")
    assert found(store, "r") == [("nonfinite", "loss", 200), ("spike", "loss", 400)]


def test_a_growing_log_is_judged_batch_by_batch_as_a_whole(store):
    from runar.journal import JournalWriter

    values = curve(nan_at=250, spike_at=450)
    run_id = "aaaaaaaaaaaaaaaa"
    with JournalWriter(store.run_dir(run_id), run_id, role="sdk") as writer:
        for lo in range(0, len(values), 37):
            for i in range(lo, min(lo + 37, len(values))):
                writer.append(MetricsLogged(values={"loss": values[i]}, step=i))
            writer.flush()
            catch_up(store)
    live = found(store, run_id)
    rebuild(store)
    assert found(store, run_id) == live == [("nonfinite", "loss", 250), ("spike", "loss", 450)]


def test_printed_losses_are_watched_too(store):
    text = "".join(f"step {i}: loss {v:.4f}\n" for i, v in enumerate(curve(nan_at=300)))
    write_run(store, [OutputCaptured(stream="stdout", text=text)], name="printed")
    assert found(store, "printed") == [("nonfinite", "loss", 300)]


def test_watch_turns_rules_on_and_alerts_show_as_anomalies(store):
    reward = [min(0.9, i / 100) for i in range(500)]
    reward[300] = 0.01
    events = [
        WatchSet(key="reward", mode="max"),
        *metric_events("reward", reward),
        AlertRaised(title="lr too high", text="try 3e-4", level="error", step=7),
    ]
    write_run(store, events, name="w")
    assert found(store, "w") == [("alert", "lr too high", 7), ("spike", "reward", 300)]
    write_run(store, metric_events("reward", reward), name="unwatched")
    assert found(store, "unwatched") == []


def test_watch_can_turn_a_key_off(store):
    events = [WatchSet(key="loss", rules=[]), *metric_events("loss", curve(nan_at=10))]
    write_run(store, events, name="off")
    assert found(store, "off") == []


def test_the_stores_config_file_sets_rules_and_reindex_applies_it(store):
    write_run(store, metric_events("score", curve(spike_at=300)), name="c")
    assert found(store, "c") == []
    (store.root / "config.toml").write_text('[anomalies."sc*"]\nmode = "min"\nrules = ["spike"]\n')
    rebuild(store)
    assert found(store, "c") == [("spike", "score", 300)]


def test_a_bad_config_file_is_one_clear_error(store):
    write_run(store, metric_events("loss", curve()), name="c")
    (store.root / "config.toml").write_text("[anomalies.loss]\nspike_zz = 3\n")
    with pytest.raises(AnomalyConfigError, match="unknown setting 'spike_zz'"):
        rebuild(store)


def test_stall_is_a_live_run_that_stopped_logging(store):
    hour = 3600 * 10**9
    summary = RunSummary(run_id="x")
    summary.writers["w"] = WriterInfo(role="sdk", host=os.uname().nodename, pid=os.getpid())
    from runar.views.summary import MetricSummary

    summary.first_ts = 1
    summary.metrics["loss"] = MetricSummary(0.5, 100, (hour, "w", 1), 0.5, 0.5, 100)
    assert stall_of(summary, now_ns=hour + 60 * 10**9) is None
    stall = stall_of(summary, now_ns=2 * hour)
    assert stall is not None and stall.rule == "stall" and "60 min" in stall.message
    summary.writers["w"] = WriterInfo(role="sdk", host=os.uname().nodename, pid=2**22 + 7)
    assert stall_of(summary, now_ns=2 * hour) is None  # its process is gone: crashed, not stalled


SCRIPT = """
    import math, runar
    runar.watch("reward", mode="max", spike=6)
    for i in range(300):
        runar.log({"loss": math.nan if i == 200 else 1 / (1 + i), "reward": i / 300})
    runar.alert("data", "the shuffle seed was fixed", level="info")
"""


def _check_sdk_run(store: Store) -> None:
    with open_views(store) as views:
        [summary] = views.runs()
        got = views.anomalies(summary)
    assert [(a.rule, a.key, a.first_step) for a in got] == [
        ("nonfinite", "loss", 200),
        ("alert", "data", 299),
    ]
    assert [a.level for a in got] == ["error", "info"] and len(alarming(got)) == 1


def test_watch_and_alert_under_plain_python(store, tmp_path):
    run_python(store, tmp_path, SCRIPT)
    _check_sdk_run(store)


def test_watch_and_alert_under_the_runner(store, tmp_path):
    done = run_python(store, tmp_path, SCRIPT, *RUNAR)
    assert "runar: ⚠ loss went NaN at step 200" in done.stderr
    _check_sdk_run(store)


def test_ls_and_show_carry_anomalies(store, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from runar.cli import app
    from tests.cli.helpers import invoke_main

    run_python(store, tmp_path, SCRIPT)
    write_run(store, metric_events("loss", curve()), name="healthy")
    monkeypatch.setenv("COLUMNS", "200")

    def cli(*args: str) -> str:
        return CliRunner().invoke(app, list(args), catch_exceptions=False).stdout

    table = cli("ls")
    assert "⚠" in table.splitlines()[0]
    marked = [line for line in table.splitlines() if "⚠ 1" in line]
    assert len(marked) == 1 and "healthy" not in marked[0]
    listed = json.loads(cli("ls", "--anomalous", "--json"))
    assert [r["anomalies"][0]["message"] for r in listed] == ["loss went NaN at step 200"]
    code, fast, _ = invoke_main(CliRunner(), "ls", "--anomalous")  # ls's typer-free path
    assert code == 0 and "⚠ 1" in fast and "healthy" not in fast
    assert json.loads(cli("ls", "--json", "--name", "healthy"))[0]["anomalies"] == []
    shown = cli("show", listed[0]["id"])
    assert "Anomalies" in shown and "loss went NaN at step 200" in shown
    record = json.loads(cli("show", listed[0]["id"], "--json"))
    assert [a["rule"] for a in record["anomalies"]] == ["nonfinite", "alert"]
    assert record["anomalies"][0]["value"] == "nan"


def test_the_runner_says_it_within_a_second(store, tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(
        textwrap.dedent(
            """
            import math, time, runar
            for i in range(250):
                runar.log({"loss": math.nan if i >= 200 else 1 / (1 + i)})
            print("logged", flush=True)
            time.sleep(6)
            """
        )
    )
    child = subprocess.Popen(
        [*RUNAR, str(script)],
        cwd=tmp_path,
        env={**os.environ, "RUNAR_DIR": str(store.root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        assert b"logged" in child.stdout.readline()
        logged = time.monotonic()
        said = b""
        while b"NaN" not in said and time.monotonic() - logged < 4:
            ready, _, _ = select.select([child.stderr], [], [], 0.1)
            if ready:
                said += os.read(child.stderr.fileno(), 4096)
        waited = time.monotonic() - logged
        assert b"runar: \xe2\x9a\xa0 loss went NaN at step 200" in said
        assert waited < 1.5  # the child's SDK flushes every 0.05-0.1 s, the runner looks at 0.5 s
        assert child.poll() is None  # still training: the notice came while it ran
    finally:
        child.kill()
        child.wait()


def test_a_realistic_nanogpt_style_script_raises_no_alarm(store, tmp_path):
    from tests.realistic.test_training_scripts import run_script

    args = ["--max_iters=600", "--eval_interval=50", "--learning_rate=0.004"]
    run_script(store, tmp_path / "work", "train_gpt.py", args, "gpt")
    with open_views(store) as views:
        summary = views.get("gpt")
        assert {"loss", "train_loss", "val_loss"} <= set(summary.metrics)
        assert summary.metrics["loss"].count == 601
        assert views.anomalies(summary) == []


def test_a_config_change_applies_to_new_points_of_a_live_run(store):
    from runar.journal import JournalWriter

    run_id = "bbbbbbbbbbbbbbbb"
    values = curve(n=800, spike_at=300)
    values[700] *= 10
    with JournalWriter(store.run_dir(run_id), run_id, role="sdk") as writer:
        for i in range(500):
            writer.append(MetricsLogged(values={"score": values[i]}, step=i))
        writer.flush()
        catch_up(store)
        (store.root / "config.toml").write_text('[anomalies.score]\nrules = ["spike"]\n')
        for i in range(500, 800):
            writer.append(MetricsLogged(values={"score": values[i]}, step=i))
        writer.flush()
        catch_up(store)
        assert found(store, run_id) == [("spike", "score", 700)]
    rebuild(store)
    assert found(store, run_id) == [("spike", "score", 300), ("spike", "score", 700)]


def test_a_key_logged_in_events_of_several_shapes_is_judged_in_log_order(store):
    values = curve(nan_at=250, spike_at=420)
    events = []
    for i, v in enumerate(values):
        if i % 50 == 0:  # an evaluation every 50 steps: the same key with another one
            events.append(MetricsLogged(values={"loss": v, "val_loss": 1.0}, step=i))
        elif 300 <= i < 350:  # a stretch inside a workflow step, folded one by one
            events.append(MetricsLogged(values={"loss": v}, step=i, workflow_step="s1"))
        else:
            events.append(MetricsLogged(values={"loss": v}, step=i))
    write_run(store, events, name="mixed")
    assert found(store, "mixed") == [("nonfinite", "loss", 250), ("spike", "loss", 420)]


def test_live_catch_ups_and_a_rebuild_agree_with_several_writers(store):
    from runar.journal import JournalWriter

    run_id = "cccccccccccccccc"
    writers = [JournalWriter(store.run_dir(run_id), run_id, role=f"rank{n}") for n in range(2)]
    curves = [curve(nan_at=90, spike_at=500), curve(nan_at=400, spike_at=130)]
    for lo in range(0, 600, 45):
        for n, writer in enumerate(writers):
            for i in range(lo, min(lo + 45, 600)):
                writer.append(MetricsLogged(values={f"loss{n}": curves[n][i]}, step=i))
            writer.flush()
        catch_up(store)
    for writer in writers:
        writer.close()
    catch_up(store)
    with open_views(store) as views:
        live = [to_record(a) for a in views.get(run_id).anomalies]
    rebuild(store)
    with open_views(store) as views:
        assert [to_record(a) for a in views.get(run_id).anomalies] == live
    assert [(a["rule"], a["key"], a["first_step"]) for a in live if a["level"] != "info"] == [
        ("nonfinite", "loss0", 90),
        ("spike", "loss1", 130),
        ("nonfinite", "loss1", 400),
        ("spike", "loss0", 500),
    ]


def test_a_stall_says_how_long_in_the_unit_a_person_would():
    from runar.views.anomaly_read import silence

    assert [silence(s) for s in (3, 119, 300, 7199, 7200, 36000)] == [
        "3 s",
        "119 s",
        "5 min",
        "120 min",
        "2.0 h",
        "10.0 h",
    ]


@pytest.mark.parametrize("printer_role", ["runner", "zz-runner"])  # folded before / after the SDK
def test_a_key_both_printed_and_logged_is_judged_on_its_logged_series_only(store, printer_role):
    # the script logs loss and prints it rounded: as in the summary, the logged series is
    # the curve, whichever writer's segment the projector reads first
    from runar.events import RunStarted
    from runar.ids import new_run_id
    from runar.journal import JournalWriter

    run_id, values = new_run_id(), [1 / (i + 1) for i in range(30)]
    printed = "".join(f"step {i}: loss={v:.3f}\n" for i, v in enumerate(values))
    with JournalWriter(store.run_dir(run_id), run_id, role=printer_role) as runner:
        runner.append(RunStarted(run_id=run_id, name="both", argv=["train.py"]))
        runner.append(OutputCaptured(stream="stdout", text=printed))
    with JournalWriter(store.run_dir(run_id), run_id, role="sdk") as sdk:
        for value in values:
            sdk.append(MetricsLogged(values={"loss": value}))
    catch_up(store)
    assert found(store, "both") == []  # was: a divergence from mixing the two series
    rebuild(store)
    assert found(store, "both") == []
