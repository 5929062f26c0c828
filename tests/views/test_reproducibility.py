"""The reproducibility score: a view over a run and its reruns, from the real log and index."""

from __future__ import annotations

import shutil
from typing import Any

from runar.events import (
    ConfigSet,
    GitState,
    GpuSample,
    MetricsLogged,
    RunFinished,
    RunStarted,
    SystemSampled,
)
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.projector import rebuild
from runar.store import Store
from runar.views import open_views
from runar.views.reproducibility import pair_for, report_for, show_field
from runar.views.rerun_score import (
    PENALTY_BEYOND,
    PENALTY_CODE,
    PENALTY_NOISE,
    PENALTY_PACKAGE,
    is_timing,
)

GIT = GitState(commit="a" * 40, branch="main", dirty=True, snapshot="b" * 40)


def record(
    store: Store,
    *,
    finals: dict[str, float],
    rerun_of: str | None = None,
    rerun_set: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    packages: dict[str, str] | None = None,
    python: str = "3.11.7",
    git: GitState | None = GIT,
    env: dict[str, str] | None = None,
    gpu: bool = False,
    status: str = "completed",
) -> str:
    """A run as the runner logs it: start, config, two metric rows (the last = finals), end."""
    run_id = new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id, role="runner") as w:
        w.append(
            RunStarted(
                run_id=run_id,
                source="runner",
                argv=["train.py"],
                command=["python", "train.py"],
                python=python,
                git=git,
                env=env or {},
                packages={"numpy": "1.26.0"} if packages is None else packages,
                rerun_of=rerun_of,
                rerun_set=rerun_set or {},
            )
        )
        w.append(ConfigSet(values={"lr": 0.1} if config is None else config))
        w.append(MetricsLogged(values={k: v * 2 for k, v in finals.items()}, step=0))
        w.append(MetricsLogged(values=finals, step=1))
        if gpu:
            w.append(SystemSampled(cpu_percent=1.0, rss_bytes=1, gpus=[GpuSample(index=0)]))
        w.append(RunFinished(status=status, exit_code=0 if status == "completed" else 1))  # type: ignore[arg-type]
    return run_id


def family(store: Store, run_id: str) -> Any:
    with open_views(store) as views:
        report = report_for(views, views.get(run_id))
    assert report is not None
    return report


def texts(reasons: list[Any]) -> list[str]:
    return [r.text for r in reasons]


def test_a_deterministic_rerun_scores_100(store):
    original = record(store, finals={"loss": 0.25, "acc": 0.9})
    record(store, finals={"loss": 0.25, "acc": 0.9}, rerun_of=original)
    report = family(store, original)
    assert report.score == 100
    assert report.reasons == []
    (pair,) = report.pairs
    assert (pair.code_identical, pair.environment_identical, pair.config_identical) == (
        True,
        True,
        True,
    )


def test_a_run_outside_any_family_has_no_score(store):
    alone = record(store, finals={"loss": 0.25})
    with open_views(store) as views:
        assert report_for(views, views.get(alone)) is None
        assert show_field(views, views.get(alone)) is None


def test_without_a_spread_a_difference_is_weighed_against_the_tolerance(store):
    original = record(store, finals={"loss": 0.25})
    record(store, finals={"loss": 0.30}, rerun_of=original)
    report = family(store, original)
    assert report.score == 100 - PENALTY_BEYOND
    assert texts(report.reasons)[0].startswith("loss differs by 16.67% (final 0.25 → 0.3; beyond")
    hints = [r.text for r in report.reasons if r.kind == "hint"]
    assert any("no seed in the config" in h for h in hints)
    assert any("PYTHONHASHSEED not set" in h for h in hints)


def test_noise_is_measured_in_sigmas_of_the_reruns(store):
    original = record(store, finals={"loss": 0.50})
    for value in (0.50, 0.52, 0.48):
        record(store, finals={"loss": value}, rerun_of=original)
    report = family(store, original)
    # σ of 0.50, 0.52, 0.48 is 0.02: the 0.52 rerun is 1.0 σ away, within noise
    assert texts([r for r in report.reasons if r.kind == "metric"]) == [
        "loss differs by 1.0 σ (final 0.5 → 0.52; within run-to-run noise)"
    ]
    assert [p.score for p in report.pairs] == [100, 100 - PENALTY_NOISE, 100 - PENALTY_NOISE]
    assert report.score == round((300 - 2 * PENALTY_NOISE) / 3)


def test_an_original_the_reruns_never_reach_is_beyond_noise(store):
    original = record(store, finals={"loss": 0.90})
    for value in (0.50, 0.51):
        record(store, finals={"loss": value}, rerun_of=original)
    report = family(store, original)
    (worst,) = [r for r in report.reasons if r.kind == "metric"]
    assert "beyond run-to-run noise" in worst.text and worst.penalty == PENALTY_BEYOND


def test_seeds_gpu_and_hash_seed_are_hinted_when_results_differ(store):
    original = record(
        store, finals={"loss": 0.25}, config={"seed": 3}, env={"PYTHONHASHSEED": "0"}, gpu=True
    )
    record(store, finals={"loss": 0.26}, rerun_of=original, config={"seed": 3})
    hints = [r.text for r in family(store, original).reasons if r.kind == "hint"]
    assert hints == [
        "hint: seeded (seed=3), yet results differ",
        "hint: used a GPU: some CUDA kernels are nondeterministic by default",
    ]


def test_a_changed_package_and_python_show_in_the_reasons(store):
    original = record(store, finals={"loss": 0.25}, packages={"six": "1.16.0", "torch": "2.3.0"})
    record(
        store,
        finals={"loss": 0.25},
        rerun_of=original,
        packages={"six": "1.17.0", "torch": "2.3.0", "tqdm": "4.66.0"},
        python="3.12.1",
    )
    report = family(store, original)
    assert texts(report.reasons) == [
        "python 3.11.7 → 3.12.1",
        "six 1.16.0 → 1.17.0",
        "tqdm 4.66.0 added",
    ]
    assert report.score == 100 - 10 - 2 * PENALTY_PACKAGE
    assert report.pairs[0].environment_identical is False


def test_other_code_costs_the_most(store):
    original = record(store, finals={"loss": 0.25})
    record(store, finals={"loss": 0.25}, rerun_of=original, git=GitState(commit="c" * 40))
    report = family(store, original)
    assert texts(report.reasons) == ["code differs: aaaaaaa+bbbbbbb → ccccccc"]
    assert report.score == 100 - PENALTY_CODE


def test_a_set_change_is_an_intended_variation_left_out_of_the_score(store):
    original = record(store, finals={"loss": 0.25}, config={"lr": 0.1})
    variation = record(
        store,
        finals={"loss": 0.40},
        rerun_of=original,
        rerun_set={"lr": "0.2"},
        config={"lr": 0.2},
    )
    report = family(store, original)
    assert report.score is None  # no reproduction yet
    (pair,) = report.pairs
    assert pair.variation and pair.config_identical
    assert "lr 0.1 → 0.2 (--set, intended)" in texts(pair.reasons)
    record(store, finals={"loss": 0.25}, rerun_of=original, config={"lr": 0.1})
    assert family(store, variation).score == 100


def test_an_unintended_config_change_and_a_failed_rerun_cost(store):
    original = record(store, finals={"loss": 0.25}, config={"lr": 0.1, "epochs": 3})
    record(
        store,
        finals={"loss": 0.25},
        rerun_of=original,
        config={"lr": 0.1, "epochs": 4},
        status="failed",
    )
    report = family(store, original)
    assert texts(report.reasons) == ["config epochs 3 → 4", "status completed → failed"]
    assert report.score == 100 - 5 - 30


def test_timings_are_not_compared(store):
    assert is_timing("time_ms") and is_timing("train_runtime") and is_timing("it/s")
    assert not is_timing("loss") and not is_timing("unit_size") and not is_timing("val/acc")
    original = record(store, finals={"loss": 0.25, "time_ms": 8.8})
    record(store, finals={"loss": 0.25, "time_ms": 9.9}, rerun_of=original)
    report = family(store, original)
    assert report.score == 100
    assert texts(report.reasons) == ["timings not compared: time_ms"]


def test_a_rerun_of_a_rerun_is_in_the_family_and_each_member_sees_it(store):
    original = record(store, finals={"loss": 0.25})
    first = record(store, finals={"loss": 0.25}, rerun_of=original)
    second = record(store, finals={"loss": 0.25}, rerun_of=first)
    for member in (original, first, second):
        report = family(store, member)
        assert report.root == original and report.runs == [original, first, second]
    with open_views(store) as views:
        field = show_field(views, views.get(second))
    assert field is not None and field["this_run"]["original"] == first


def test_diff_gets_the_pair_only_within_a_family(store):
    original = record(store, finals={"loss": 0.25})
    rerun = record(store, finals={"loss": 0.26}, rerun_of=original)
    stranger = record(store, finals={"loss": 0.25})
    with open_views(store) as views:
        pair = pair_for(views, views.get(original), views.get(rerun))
        assert pair is not None and pair.rerun == rerun and pair.score < 100
        assert pair_for(views, views.get(original), views.get(stranger)) is None


def test_the_score_survives_reindex_and_a_union_of_stores(store, tmp_path):
    original = record(store, finals={"loss": 0.25})
    elsewhere = Store(tmp_path / "other" / ".runar").create()
    rerun = record(elsewhere, finals={"loss": 0.30}, rerun_of=original)
    with open_views(elsewhere) as views:  # the original is not there: no pair to score
        assert report_for(views, views.get(rerun)) is None
    with open_views(store) as views:
        assert report_for(views, views.get(original)) is None
    shutil.copytree(elsewhere.run_dir(rerun), store.run_dir(rerun))  # rsync of runs/
    before = family(store, original)
    assert before.runs == [original, rerun] and before.score == 100 - PENALTY_BEYOND
    rebuild(store)
    assert family(store, original) == before


def test_a_whole_other_environment_names_changes_first_and_counts_the_rest(store):
    original = record(store, finals={"loss": 0.25}, packages={"six": "1.16.0", "zz": "1"})
    many = {f"pkg{i:02d}": "1.0" for i in range(30)} | {"six": "1.17.0"}
    record(store, finals={"loss": 0.25}, rerun_of=original, packages=many)
    reasons = family(store, original).reasons
    assert texts(reasons)[:3] == ["six 1.16.0 → 1.17.0", "zz 1 removed", "pkg00 1.0 added"]
    assert len(reasons) == 10 and texts(reasons)[-1] == "… and 23 more package differences"
    assert sum(r.penalty for r in reasons) == 20
