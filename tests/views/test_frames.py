import math

import polars as pl

import runar.frames as frames
from runar.events import ConfigSet, MetricsLogged, TagsChanged
from runar.ids import new_run_id
from runar.journal import JournalWriter

from .helpers import write_run


def test_metrics_long_format_keeps_every_point(store):
    run_id = write_run(
        store,
        [
            MetricsLogged(values={"loss": 0.9, "acc": 0.1}, step=0),
            MetricsLogged(values={"loss": 0.5}, step=1),
            MetricsLogged(values={"loss": 0.7}, step=1),  # an eval pass at the same step
            MetricsLogged(values={"loss": math.nan}, step=2),
        ],
    )
    df = frames.metrics(store=store)
    assert df.columns == ["run_id", "step", "key", "value", "ts", "writer", "seq"]
    loss = df.filter(pl.col("key") == "loss")
    assert loss["step"].to_list() == [0, 1, 1, 2]
    assert math.isnan(loss["value"][-1])
    assert set(df["run_id"]) == {run_id}


def test_wide_takes_the_latest_value_per_step(store):
    write_run(
        store,
        [
            MetricsLogged(values={"loss": 0.5, "acc": 0.2}, step=1),
            MetricsLogged(values={"loss": 0.7}, step=1),
        ],
    )
    wide = frames.wide(frames.metrics(store=store))
    assert wide.select("step", "loss", "acc").rows() == [(1, 0.7, 0.2)]


def test_metrics_filters_runs_and_keys(store):
    a = write_run(store, [MetricsLogged(values={"loss": 1.0, "acc": 0.5}, step=0)], name="run-a")
    write_run(store, [MetricsLogged(values={"loss": 2.0}, step=0)], name="run-b")
    df = frames.metrics(runs=["run-a"], keys=["loss"], store=store)
    assert df.select("run_id", "key", "value").rows() == [(a, "loss", 1.0)]


def test_sealed_segments_load_from_cache_identically(store):
    write_run(store, [MetricsLogged(values={"loss": 1.0 / i}, step=i) for i in range(1, 200)])
    first = frames.metrics(store=store)
    cached = list((store.index_dir / "metrics").rglob("*.arrow"))
    assert cached
    written = cached[0].stat().st_mtime_ns
    assert frames.metrics(store=store).equals(first)
    assert cached[0].stat().st_mtime_ns == written  # read back, not rebuilt
    cached[0].write_bytes(b"garbage")  # a damaged cache is rebuilt from the log
    assert frames.metrics(store=store).equals(first)


def test_active_segment_points_are_included(store):
    run_id = new_run_id()
    w = JournalWriter(store.run_dir(run_id), run_id)
    w.append(MetricsLogged(values={"loss": 0.3}, step=4))
    w.flush()
    try:
        assert frames.metrics(store=store)["value"].to_list() == [0.3]
    finally:
        w.close()


def test_runs_frame_has_config_and_metric_columns(store):
    write_run(
        store,
        [
            ConfigSet(values={"opt": {"lr": 0.01}, "layers": [1, 2]}),
            TagsChanged(added=["base"]),
            MetricsLogged(values={"acc": 0.9}, step=3),
        ],
        name="first",
    )
    write_run(store, [ConfigSet(values={"opt": {"lr": "auto"}})], name="second")
    df = frames.runs(store=store)
    assert df["name"].to_list() == ["second", "first"]
    assert df["config.opt.lr"].to_list() == ["auto", "0.01"]
    assert df["acc"].to_list() == [None, 0.9]
    assert df["tags"].to_list() == [[], ["base"]]
    assert df["status"].to_list() == ["completed", "completed"]


def test_empty_store_gives_empty_frames(store):
    assert frames.metrics(store=store).height == 0
    assert frames.runs(store=store).height == 0
