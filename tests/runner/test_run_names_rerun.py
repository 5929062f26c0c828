"""A rerun's name, NAME-rerun-K after the run it repeats: `runar show NAME` stays the original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runar.events import RunStarted
from runar.runner.rerun import family_name, rerun_names
from runar.store import Store

from .helpers import events_of, of_type, run_runar, write_script

RUN_A = "0123456789abcdef"
RUN_B = "fedcba9876543210"


def test_a_named_run_s_rerun_counts_on_from_the_highest_taken() -> None:
    taken = ["base", "base-rerun-1", "base-rerun-4", "other-rerun-9", "base-rerun-x"]
    assert rerun_names("base", RUN_A, None, taken) == ["base-rerun-5"]
    assert rerun_names("base", RUN_A, None, [], times=3) == [
        "base-rerun-1",
        "base-rerun-2",
        "base-rerun-3",
    ]


def test_a_chosen_name_wins_and_is_numbered_only_when_repeated() -> None:
    assert rerun_names("base", RUN_A, None, ["mine"], chosen="mine") == ["mine"]
    assert rerun_names("base", RUN_A, None, [], times=2, chosen="mine") == ["mine-1", "mine-2"]


@pytest.mark.parametrize(
    ("original", "rerun_of", "family"),
    [
        ("base", None, "base"),
        ("", None, RUN_A[:8]),  # an unnamed run: its short id, which `runar show` takes too
        ("base-rerun-2", RUN_B, "base"),  # a rerun of a rerun stays in the first run's family
        ("base-rerun-2", None, "base-rerun-2"),  # a run the user named so is not a rerun
        ("hand-picked", RUN_B, "hand-picked"),  # a rerun renamed by hand starts its own
        ("", RUN_B, RUN_B[:8]),  # a rerun made before reruns had names
        ("-rerun-3", RUN_B, "-rerun-3"),
    ],
)
def test_the_family_name(original: str, rerun_of: str | None, family: str) -> None:
    assert family_name(original, RUN_A, rerun_of) == family


def names_by_id(store: Store, cwd: Path) -> dict[str, str | None]:
    listed = json.loads(run_runar(["ls", "--json", "--all-projects"], cwd).stdout)
    return {row["id"]: row.get("name") for row in listed}


def started_of(store: Store, run_id: str) -> RunStarted:
    (event,) = of_type(events_of(store, run_id), RunStarted)
    return event


@pytest.mark.timeout(120)
def test_reruns_are_named_after_the_original_which_show_still_finds(
    store: Store, tmp_path: Path
) -> None:
    write_script(tmp_path, "print('epoch 1: loss=0.5')\n", "train.py")
    assert run_runar(["-n", "base", "train.py"], tmp_path).returncode == 0
    (original,) = store.run_ids()
    done = run_runar(["rerun", "base", "--times", "2"], tmp_path)
    assert done.returncode == 0, done.stderr
    first = run_runar(["rerun", "base-rerun-1"], tmp_path)  # a rerun of a rerun
    assert first.returncode == 0, first.stderr
    named = {name: run_id for run_id, name in names_by_id(store, tmp_path).items()}
    assert set(named) == {"base", "base-rerun-1", "base-rerun-2", "base-rerun-3"}
    assert started_of(store, named["base-rerun-3"]).rerun_of == named["base-rerun-1"]
    assert started_of(store, named["base-rerun-1"]).rerun_of == original
    shown = run_runar(["show", "base", "--json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == original


@pytest.mark.timeout(120)
def test_an_unnamed_run_s_rerun_carries_its_short_id(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "print('hello')\n", "train.py")
    assert run_runar(["train.py"], tmp_path).returncode == 0
    (original,) = store.run_ids()
    done = run_runar(["rerun", original[:8]], tmp_path)
    assert done.returncode == 0, done.stderr
    (rerun,) = set(store.run_ids()) - {original}
    names = names_by_id(store, tmp_path)
    assert names[rerun] == f"{original[:8]}-rerun-1"
    assert not names[original]
    # the id prefix still means the original; the rerun's name means the rerun
    shown = run_runar(["show", original[:8], "--json"], tmp_path)
    assert json.loads(shown.stdout)["id"] == original
    shown = run_runar(["show", f"{original[:8]}-rerun-1", "--json"], tmp_path)
    assert json.loads(shown.stdout)["id"] == rerun


@pytest.mark.timeout(120)
def test_rerun_n_chooses_the_name(store: Store, tmp_path: Path) -> None:
    write_script(tmp_path, "print('hello')\n", "train.py")
    assert run_runar(["-n", "base", "train.py"], tmp_path).returncode == 0
    done = run_runar(["rerun", "base", "-n", "again"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(filter(None, names_by_id(store, tmp_path).values())) == ["again", "base"]
