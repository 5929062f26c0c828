"""One query, one run set: `ls --json`, `export`, frames.runs(), the TUI filter and the web API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest
from typer.testing import CliRunner

import runar.frames as frames
from runar.events import GitState, ProjectSet, SummarySet
from runar.journal import JournalWriter
from runar.store import Store
from runar.tui.app import RunarApp
from runar.tui.widgets.filter_bar import FilterBar
from runar.web.app import create_app
from runar.web.serve import serving_in_thread
from tests.cli.helpers import S, invoke, invoke_main, write_run
from tests.tui.helpers import settle
from tests.web.client import request

pytestmark = [pytest.mark.timeout(120)]

QUERIES = [
    "config.lr < 1e-3 and metrics.acc > 0.9",
    "lr<1e-3 acc>0.9",
    "lr<=1e-3 and (acc>0.95 or tag:baseline)",
    "not status:failed and best(metrics.loss) < 0.3",
    "max(metrics.acc) >= 0.9 or summary.score > 5",
    "config.model in [big, huge] and not tag:baseline",
    "name ~ 'run-?' or git.branch = main",
    "git.commit:abc or project:vision",
    "created > 3h ago",
    "duration < 1h and status = completed",
    "bravo",
    "metrics.acc > 2",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _runs(store: Store) -> dict[str, str]:
    now = time.time_ns()
    specs = [
        ("run-a", {"lr": 1e-4, "model": "big"}, [{"acc": 0.80, "loss": 0.9}, {"acc": 0.95, "loss": 0.2}], ["baseline"], "completed", "main", 10),  # noqa: E501
        ("run-b", {"lr": 5e-4, "model": "huge"}, [{"acc": 0.97, "loss": 0.25}, {"acc": 0.92, "loss": 0.4}], [], "completed", "dev", 9),  # noqa: E501
        ("bravo", {"lr": 1e-2, "model": "big"}, [{"acc": 0.5, "loss": 1.5}], [], "failed", None, 5),
        ("charlie", {"lr": 1e-3, "model": "small"}, [{"acc": 0.99, "loss": 0.1}], ["baseline"], "completed", "main", 2),  # noqa: E501
        ("delta", {"lr": 3e-3}, [{"acc": 0.7}], [], "completed", None, 1),
    ]  # fmt: skip
    ids = {}
    for i, (name, config, metrics, tags, status, branch, hours_ago) in enumerate(specs):
        git = GitState(commit=f"abc{i}def" if i % 2 == 0 else f"fff{i}", branch=branch)
        ids[name] = write_run(
            store, name=name, config=config, metrics=metrics, tags=tags, status=status,
            git=git if branch else None, start_ts=now - hours_ago * 3600 * S,
        )  # fmt: skip
    with JournalWriter(store.run_dir(ids["delta"]), ids["delta"], role="sdk") as writer:
        writer.append(SummarySet(values={"score": 9.0}))
        writer.append(ProjectSet(project="vision"))
    return ids


def _web_ids(base: str, where: str) -> list[str]:
    reply = request(base, "/api/runs?limit=1000&where=" + quote(where))
    assert reply.status == 200, reply.body
    return [r["id"] for r in reply.json()["runs"]]


async def _tui_ids(store: Store, queries: list[str]) -> list[set[str]]:
    app = RunarApp(store, watch=False)
    found = []
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for where in queries:
            app.screen.query_one(FilterBar).value = where
            await pilot.pause()
            assert app.screen.query_error is None  # type: ignore[attr-defined]
            found.append({e.run_id for e in app.screen.shown_entries})  # type: ignore[attr-defined]
        shown = {e.run_id for e in app.screen.shown_entries}  # type: ignore[attr-defined]
        app.screen.query_one(FilterBar).value = "metrics.acc > "  # half typed
        await pilot.pause()
        assert "expected a value after '>'" in app.screen.query_error  # type: ignore[attr-defined]
        assert "column 15" in app.screen.sub_title
        assert {e.run_id for e in app.screen.shown_entries} == shown  # type: ignore[attr-defined]
    return found


@pytest.mark.anyio
async def test_one_query_one_run_set_everywhere(store: Store, tmp_path: Path) -> None:
    ids = _runs(store)
    names = {v: k for k, v in ids.items()}
    cli = CliRunner()
    expected: dict[str, set[str]] = {}
    for where in QUERIES:
        chosen = frames.runs(store=store, where=where)["run_id"].to_list()
        code, out, err = invoke_main(
            cli, "ls", "--json", "--all-projects", "--limit", "0", "--where", where
        )
        assert code == 0, err
        assert [r["id"] for r in json.loads(out)] == chosen, where
        target = tmp_path / "runs.ndjson"
        invoke(cli, "export", "--where", where, "-o", str(target))
        exported = pl.read_ndjson(target)["run_id"].to_list() if target.stat().st_size else []
        assert exported == chosen, where
        metric_runs = frames.metrics(store=store, where=where)["run_id"].unique().to_list()
        assert set(metric_runs) == set(chosen), where
        expected[where] = set(chosen)
    with serving_in_thread(create_app(store)) as base:
        for where in QUERIES:
            assert set(_web_ids(base, where)) == expected[where], where
        bad = request(base, "/api/runs?where=" + quote("config.lr < big"))
        assert bad.status == 400
        assert "invalid query at column 13: config.lr holds numbers" in bad.json()["error"]
    for where, got in zip(QUERIES, await _tui_ids(store, QUERIES), strict=True):
        assert got == expected[where], where
    named = {w: {names[i] for i in found} for w, found in expected.items()}
    assert named["config.lr < 1e-3 and metrics.acc > 0.9"] == {"run-a", "run-b"}
    assert named["lr<1e-3 acc>0.9"] == named["config.lr < 1e-3 and metrics.acc > 0.9"]
    assert named["lr<=1e-3 and (acc>0.95 or tag:baseline)"] == {"run-a", "charlie"}
    assert named["not status:failed and best(metrics.loss) < 0.3"] == {"run-a", "run-b", "charlie"}
    assert named["max(metrics.acc) >= 0.9 or summary.score > 5"] == {
        "run-a", "run-b", "charlie", "delta",
    }  # fmt: skip
    assert named["config.model in [big, huge] and not tag:baseline"] == {"run-b", "bravo"}
    assert named["name ~ 'run-?' or git.branch = main"] == {"run-a", "run-b", "charlie"}
    assert named["git.commit:abc or project:vision"] == {"run-a", "delta"}
    assert named["created > 3h ago"] == {"charlie", "delta"}
    assert named["bravo"] == {"bravo"}
    assert named["metrics.acc > 2"] == set()
