import math

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from runar.events import (
    ConfigSet,
    MetricsLogged,
    RunFinished,
    RunRenamed,
    RunStarted,
    TagsChanged,
    WriterOpened,
)
from runar.views.summary import RunSummary, flatten, lower_is_better
from runar.views.summary_fold import fold


def _stamp(event, ts, seq, writer="w"):
    event.ts, event.seq, event.writer = ts, seq, writer
    return event


def test_last_is_latest_by_time_not_by_arrival():
    s = RunSummary(run_id="r")
    fold(s, _stamp(MetricsLogged(values={"loss": 0.2}, step=2), ts=20, seq=2))
    fold(s, _stamp(MetricsLogged(values={"loss": 0.9}, step=1), ts=10, seq=1))
    assert s.metrics["loss"].last == 0.2
    assert s.metrics["loss"].count == 2


def test_nan_is_last_but_never_min_or_max():
    s = RunSummary(run_id="r")
    fold(s, _stamp(MetricsLogged(values={"loss": 0.5}), ts=1, seq=1))
    fold(s, _stamp(MetricsLogged(values={"loss": math.nan}), ts=2, seq=2))
    m = s.metrics["loss"]
    assert math.isnan(m.last) and m.min == 0.5 and m.max == 0.5


def test_best_follows_metric_direction():
    assert lower_is_better("val/loss") and lower_is_better("error_rate")
    assert not lower_is_better("accuracy")


def test_config_is_flattened_and_last_writer_wins_per_key():
    s = RunSummary(run_id="r")
    fold(s, _stamp(ConfigSet(values={"opt": {"lr": 0.1, "name": "sgd"}}), ts=1, seq=1))
    fold(s, _stamp(ConfigSet(values={"opt": {"lr": 0.01}}), ts=2, seq=2))
    assert s.config_values() == {"opt.lr": 0.01, "opt.name": "sgd"}
    assert s.config_nested() == {"opt": {"lr": 0.01, "name": "sgd"}}


def test_tag_removed_after_added_is_gone():
    s = RunSummary(run_id="r")
    fold(s, _stamp(TagsChanged(added=["a", "b"]), ts=1, seq=1))
    fold(s, _stamp(TagsChanged(removed=["a"]), ts=2, seq=2))
    assert s.tag_list() == ["b"]


def test_finished_status_is_recorded():
    s = RunSummary(run_id="r")
    fold(s, _stamp(RunFinished(status="failed", exit_code=3), ts=1, seq=1))
    assert s.recorded_status == "failed"


def test_flatten_keeps_empty_dicts_as_values():
    assert flatten({"a": {}, "b": {"c": 1}}) == {"a": {}, "b.c": 1}


_metric_events = st.lists(
    st.tuples(
        st.sampled_from(["loss", "acc"]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=30,
)


@given(_metric_events, st.randoms())
def test_fold_is_independent_of_event_order(items, rnd):
    events = [
        _stamp(MetricsLogged(values={k: v}, step=step), ts=i // 2, seq=i)
        for i, (k, v, step) in enumerate(items)
    ]
    a, b = RunSummary(run_id="r"), RunSummary(run_id="r")
    for e in events:
        fold(a, e)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    for e in shuffled:
        fold(b, e)
    canonical = msgspec.msgpack.Encoder(order="sorted")
    assert canonical.encode(a) == canonical.encode(b)


def test_script_arguments_are_config_beneath_the_sdks():
    from runar.events import RunStarted

    s = RunSummary(run_id="r")
    argv = ["train.py", "data.csv", "--lr", "0.1", "--epochs=3", "--model.depth", "4"]
    fold(s, _stamp(RunStarted(run_id="r", source="runner", argv=argv), ts=1, seq=1))
    fold(s, _stamp(ConfigSet(values={"lr": 0.01}), ts=2, seq=1, writer="sdk"))
    assert s.config_values() == {
        "args": ["data.csv"],
        "epochs": 3,
        "lr": 0.01,
        "model.depth": 4,
    }
    assert s.config_nested()["model"] == {"depth": 4}


def test_arguments_are_parsed_for_summaries_from_an_older_index():
    from runar.events import RunStarted

    s = RunSummary(run_id="r")
    fold(s, _stamp(RunStarted(run_id="r", argv=["train.py", "--lr", "3e-4"]), ts=1, seq=1))
    old = msgspec.msgpack.decode(
        msgspec.msgpack.encode(msgspec.structs.replace(s, script_args=None)), type=RunSummary
    )
    assert old.script_args is None
    assert old.config_values() == {"lr": 3e-4}


def _opened(run_name, ts, writer="w"):
    return _stamp(
        WriterOpened(run_id="r", role="sdk", host="h", pid=1, run_name=run_name), ts, 1, writer
    )


def test_segment_header_names_a_run_whose_start_was_lost():
    s = RunSummary(run_id="r")
    fold(s, _opened("bert-base", ts=5))
    fold(s, _opened(None, ts=9, writer="v"))  # a writer that never learned the name
    assert s.started is None and s.display_name == "bert-base"


def test_segment_header_name_is_only_a_fallback():
    s = RunSummary(run_id="r")
    fold(s, _opened("stale", ts=50))
    fold(s, _stamp(RunStarted(run_id="r", name="baseline"), ts=1, seq=2))
    assert s.display_name == "baseline"
    fold(s, _stamp(RunRenamed(name="bert"), ts=2, seq=3))
    assert s.display_name == "bert"


def test_an_edit_afterwards_is_not_activity_of_the_run():
    s = RunSummary(run_id="r")
    fold(s, _stamp(MetricsLogged(values={"loss": 0.2}, step=1), ts=10, seq=1, writer="runner-a"))
    fold(s, _stamp(TagsChanged(added=["best"]), ts=10_000, seq=1, writer="edit-b"))
    assert (s.first_ts, s.last_ts) == (10, 10)  # a crashed run stays as long and as silent
    assert s.tag_list() == ["best"]
