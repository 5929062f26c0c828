"""The per-segment metric cache (views/metric_cache.py): same points as the log, less to read."""

import math

import polars as pl
import pytest

import runar.frames as frames
from runar.events import MetricsLogged, OutputCaptured
from runar.views import metric_cache, open_views

from .helpers import write_run


@pytest.fixture
def split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metric_cache, "SPLIT_POINTS", 10)  # every test segment is "big"


def curve_run(store) -> str:
    return write_run(
        store,
        [
            MetricsLogged(values={"loss": 1.0 / i, "acc": i / 100, "a/b": math.nan}, step=i)
            for i in range(1, 60)
        ],
    )


def test_a_big_segment_is_cached_one_file_per_key(store, split_small) -> None:
    curve_run(store)
    from_log = frames.metrics(store=store)  # builds the cache
    folders = list((store.index_dir / "metrics").rglob("*.keys"))
    assert len(folders) == 1 and len(list(folders[0].glob("*.arrow"))) == 3
    assert frames.metrics(store=store).equals(from_log)  # from the cache, in the order written


def test_one_key_is_read_alone_and_equals_the_filtered_whole(store, split_small) -> None:
    curve_run(store)
    whole = frames.metrics(store=store)
    for keys in (["loss"], ["a/b", "acc"], ["missing"]):
        want = whole.filter(pl.col("key").is_in(keys))
        assert frames.metrics(keys=keys, store=store).equals(want)


def test_caches_of_an_older_layout_are_removed(store, split_small) -> None:
    run_id = curve_run(store)
    folder = store.index_dir / "metrics" / run_id
    frames.metrics(store=store)
    [current] = list(folder.iterdir())
    stem = ".".join(current.name.split(".")[:2])
    stale = folder / f"{stem}.123.p1.arrow"
    stale.write_bytes(b"an old parser's points")
    current.rename(folder / "gone")  # forces a rebuild
    frames.metrics(store=store)
    assert not stale.exists()


def test_a_damaged_key_file_is_rebuilt_from_the_log(store, split_small) -> None:
    curve_run(store)
    first = frames.metrics(store=store)
    [folder] = list((store.index_dir / "metrics").rglob("*.keys"))
    next(folder.glob("*.arrow")).write_bytes(b"garbage")
    assert frames.metrics(store=store).equals(first)


PRINTED = OutputCaptured(
    stream="stdout", text="step 1: loss 0.9, acc 0.5\nstep 2: loss 0.8, acc 0.6\n"
)
LOGGED = [
    MetricsLogged(values={"loss": 0.95}, step=10),
    MetricsLogged(values={"loss": 0.85}, step=20),
]


@pytest.mark.parametrize("printed_first", [True, False])
def test_a_key_the_script_logs_is_not_also_read_from_its_output(store, printed_first) -> None:
    events = [PRINTED, *LOGGED] if printed_first else [*LOGGED, PRINTED]
    run_id = write_run(store, events, name="both")
    loss = frames.metrics(keys=["loss"], store=store)
    assert loss.select("step", "value").rows() == [(10, 0.95), (20, 0.85)]
    acc = frames.metrics(keys=["acc"], store=store)  # printed only: still read
    assert acc.select("step", "value").rows() == [(1, 0.5), (2, 0.6)]
    with open_views(store) as views:
        summary = views.get(run_id)
    assert (summary.metrics["loss"].count, summary.metrics["loss"].last) == (2, 0.85)
    assert summary.metrics["acc"].derived and not summary.metrics["loss"].derived
