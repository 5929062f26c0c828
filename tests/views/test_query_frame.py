"""The frame a query runs over, from real summaries: only the columns it names, typed."""

from __future__ import annotations

import polars as pl

from runar.events import ConfigSet, MetricsLogged, ProjectSet, RunStarted, SummarySet, TagsChanged
from runar.journal import JournalWriter
from runar.store import Store
from runar.views import open_views
from runar.views.liveness import effective_status
from runar.views.query import Needs, needs_of
from runar.views.query_frame import QueryFrames, query_frame, select_runs
from runar.views.query_syntax import parse, parse_sort

from .helpers import write_run

S = 1_000_000_000


def _runs(store: Store) -> list[tuple[object, str]]:
    with open_views(store) as views:
        return [(s, effective_status(s)) for s in views.runs()]


def _store(store: Store) -> dict[str, str]:
    ids = {
        "fast": write_run(
            store,
            [
                ConfigSet(values={"lr": 1e-3, "model": {"depth": 4}, "amp": True, "seed": 7}),
                MetricsLogged(values={"val/loss": 0.9, "acc": 0.6}, step=0),
                MetricsLogged(values={"val/loss": 0.2, "acc": 0.9}, step=1),
                MetricsLogged(values={"val/loss": 0.4, "acc": 0.8}, step=2),
                SummarySet(values={"test_acc": 0.88}),
                TagsChanged(added=["baseline", "gpu"]),
            ],
            name="fast",
        ),
        "odd": write_run(
            store,
            [ConfigSet(values={"lr": "auto"}), MetricsLogged(values={"acc": 0.5}, step=0)],
            name="odd",
            finish="failed",
        ),
    }
    with JournalWriter(store.run_dir(ids["odd"]), ids["odd"], role="sdk") as writer:
        writer.append(ProjectSet(project="vision"))
    return ids


def test_only_the_named_families_are_built(store: Store) -> None:
    _store(store)
    runs = _runs(store)
    plain = query_frame(runs, Needs())
    assert set(plain.columns) == {
        "id", "name", "status", "tags", "created", "duration", "project", "sweep",
    }  # fmt: skip
    full = query_frame(runs, Needs(True, True, True, True, True), default_project="here")
    assert {"config.lr", "config.model.depth", "metrics.acc", "summary.test_acc"} <= set(
        full.columns
    )
    assert {"min(metrics.val/loss)", "max(metrics.acc)", "git.branch", "git.commit"} <= set(
        full.columns
    )
    assert full.schema["config.model.depth"] == pl.Int64
    assert full.schema["config.amp"] == pl.Boolean
    assert full.schema["config.lr"] == pl.Float64  # a number in one run, text in another:
    assert full.schema["config.lr as text"] == pl.String  # numbers, and a text twin
    assert full.schema["tags"] == pl.List(pl.String)
    assert sorted(full["project"].to_list()) == ["here", "vision"]


def test_needs_follow_the_query() -> None:
    assert needs_of(parse("bert status:failed")) == Needs()
    assert needs_of(parse("lr<1")) == Needs(config=True, metrics=True)
    assert needs_of(parse("not (best(metrics.loss) < 1 or summary.x > 2)")) == Needs(
        extrema=True, summary=True
    )
    assert needs_of(parse("git.commit:abc")) == Needs(git=True)
    assert needs_of(None, parse_sort("-metrics.acc")[0]) == Needs(metrics=True)


def test_select_runs_from_real_summaries(store: Store) -> None:
    ids = _store(store)
    runs = _runs(store)
    assert select_runs(runs, "best(metrics.val/loss) < 0.3") == [ids["fast"]]
    assert select_runs(runs, "min(metrics.val/loss) = 0.2 and max(metrics.acc) = 0.9") == [
        ids["fast"]
    ]
    assert select_runs(runs, "metrics.val/loss = 0.4") == [ids["fast"]]  # the last value
    assert select_runs(runs, "summary.test_acc > 0.8 and tag:gpu") == [ids["fast"]]
    assert select_runs(runs, "config.model.depth >= 4 and config.amp = true") == [ids["fast"]]
    assert select_runs(runs, "config.lr = auto") == [ids["odd"]]
    assert select_runs(runs, "config.lr < 1e-2") == [ids["fast"]]
    assert select_runs(runs, "lr < 1e-2") == [ids["fast"]]
    assert select_runs(runs, "config.lr ~ aut") == [ids["odd"]]
    assert select_runs(runs, "config.lr != auto") == [ids["fast"]]
    assert select_runs(runs, "project:vision") == [ids["odd"]]
    assert select_runs(runs, "project:here", default_project="here") == [ids["fast"]]
    assert select_runs(runs, "status:failed or tag:baseline", sort="name") == [
        ids["fast"], ids["odd"],
    ]  # fmt: skip
    assert select_runs(runs, sort="-max(metrics.acc)") == [ids["fast"], ids["odd"]]
    assert select_runs(runs, sort="max(metrics.acc)") == [ids["odd"], ids["fast"]]


def test_a_running_run_lasts_until_now(store: Store) -> None:
    run_id = write_run(store, [MetricsLogged(values={"acc": 0.1}, step=0)], finish=None)
    with open_views(store) as views:
        summary = views.get(run_id)
    start = summary.created_ts
    runs = [(summary, "running")]
    assert select_runs(runs, "duration > 1h", now_ns=start + 2 * 3600 * S) == [run_id]
    assert select_runs(runs, "duration > 1h", now_ns=start + 60 * S) == []
    assert select_runs(runs, "created > 1h ago", now_ns=start + 60 * S) == [run_id]
    assert select_runs(runs, "created > 1h ago", now_ns=start + 2 * 3600 * S) == []


def test_an_empty_store_selects_nothing(store: Store) -> None:
    assert select_runs([], "config.lr < 1 and best(metrics.loss) < 1", sort="-metrics.acc") == []
    assert RunStarted  # the helper writes RunStarted itself


def test_query_frames_build_once_per_change_and_family(store: Store) -> None:
    ids = _store(store)
    runs = _runs(store)
    built: list[int] = []

    def counted() -> list[tuple[object, str]]:
        built.append(1)
        return runs

    frames = QueryFrames()
    assert frames.select(counted, "lr<1") == [ids["fast"]]
    assert frames.select(counted, "acc > 0.55") == [ids["fast"]]  # config and metrics: kept
    assert len(built) == 1
    assert frames.select(counted, "best(metrics.acc) > 0.8") == [ids["fast"]]  # a new family
    both = frames.select(counted, "summary.test_acc > 0 or min(metrics.acc) < 1")
    assert both == [ids["odd"], ids["fast"]]  # newest first, as given
    assert len(built) == 3
    frames.invalidate()
    assert frames.select(counted, "status:failed") == [ids["odd"]]
    assert len(built) == 4
