"""The `/` filter language."""

from __future__ import annotations

from runar.tui.catalog import RunEntry
from runar.tui.query import parse_query
from runar.views.summary import RunSummary, fold

from .helpers import RUN_A, T0, run_events


def entry(lr: float = 1e-3, acc: float = 0.9, status: str = "completed") -> RunEntry:
    summary = RunSummary(run_id=RUN_A)
    for i, event in enumerate(
        run_events(RUN_A, "bert-base", T0, lr=lr, final_acc=acc, tags=("gpu",))
    ):
        event.writer, event.seq = "sdk-aaaaaaaaaa", i + 1
        fold(summary, event)
    return RunEntry(summary, status)


def test_words_match_name_tag_status_and_id() -> None:
    for text in ("bert", "GPU", "completed", RUN_A[:6]):
        assert parse_query(text).matches(entry())


def test_an_unmatched_word_rejects() -> None:
    assert not parse_query("resnet").matches(entry())


def test_comparisons_reach_nested_config_by_leaf_name() -> None:
    assert parse_query("lr<1e-2").matches(entry(lr=1e-3))
    assert not parse_query("lr<1e-4").matches(entry(lr=1e-3))


def test_comparisons_use_the_last_metric_value() -> None:
    assert parse_query("acc>0.8").matches(entry(acc=0.9))
    assert not parse_query("acc>0.8").matches(entry(acc=0.5))


def test_equality_compares_text_values() -> None:
    assert parse_query("name=adam").matches(entry())
    assert not parse_query("name=sgd").matches(entry())


def test_a_missing_key_never_matches() -> None:
    assert not parse_query("momentum>0").matches(entry())
