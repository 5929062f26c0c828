"""Three training scripts written the way popular projects write them, run unchanged under
`runar`: the exact metric series, the config from their arguments, and what `diff` says."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from runar.store import Store
from tests.runner.helpers import run_runar

SCRIPTS = Path(__file__).parent / "scripts"
Series = list[tuple[int | None, float]]


def run_script(store: Store, work: Path, name: str, args: list[str], run_name: str) -> dict:
    """Run a script under runar; what it says it printed (its truth file)."""
    work.mkdir(exist_ok=True)
    script = work / name
    shutil.copy(SCRIPTS / name, script)
    truth = work / f"truth-{run_name}.json"
    done = run_runar(["-n", run_name, name, *args], cwd=work, timeout=60, TRUTH_FILE=str(truth))
    assert done.returncode == 0, done.stderr
    return json.loads(truth.read_text())


def recorded_series(store: Store, run_name: str) -> dict[str, Series]:
    import runar.frames as frames

    long = frames.metrics(runs=[run_name], store=store).sort("ts")
    found: dict[str, Series] = {}
    for row in long.iter_rows(named=True):
        found.setdefault(row["key"], []).append((row["step"], row["value"]))
    return found


def show_json(work: Path, run_name: str) -> dict[str, Any]:
    done = run_runar(["show", run_name, "--json"], cwd=work)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def diff_json(work: Path, a: str, b: str) -> dict[str, Any]:
    done = run_runar(["diff", a, b, "--json"], cwd=work)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def as_series(pairs: list[list[Any]]) -> Series:
    return [(step, value) for step, value in pairs]


def assert_curves(truth: dict[str, list[list[Any]]], recorded: dict[str, Series]) -> None:
    for key, pairs in truth.items():
        assert key in recorded, f"{key} missing; recorded: {sorted(recorded)}"
        got = recorded[key]
        want = as_series(pairs)
        assert [s for s, _ in got] == [s for s, _ in want], key
        pairs_of_values = zip(got, want, strict=True)
        assert all(math.isclose(g, w, rel_tol=1e-9) for (_, g), (_, w) in pairs_of_values), key


def test_gpt_trainer_with_a_key_value_configurator(store: Store, tmp_path: Path) -> None:
    work = tmp_path / "nanogpt"
    args = ["--max_iters=6", "--eval_interval=3", "--batch_size=12"]
    truth = run_script(store, work, "train_gpt.py", [*args, "--learning_rate=0.001"], "gpt-a")
    run_script(store, work, "train_gpt.py", [*args, "--learning_rate=0.002"], "gpt-b")

    recorded = recorded_series(store, "gpt-a")
    assert_curves(truth, recorded)
    assert "batch_size" not in recorded  # "Overriding: batch_size = 12" is config
    assert recorded["time_ms"][0][0] == 0 and recorded["mfu"][-1] == (6, 0.02)

    config = show_json(work, "gpt-a")["config"]
    assert config["max_iters"] == 6 and config["learning_rate"] == 0.001
    assert config["batch_size"] == 12
    diff = json.dumps(diff_json(work, "gpt-a", "gpt-b"))
    assert "learning_rate" in diff and "0.002" in diff


def test_trainer_dicts_between_tqdm_bars(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    work = tmp_path / "hf"
    args = ["--model_name_or_path", "bert-base-uncased", "--logging_steps", "2", "--do_eval"]
    truth = run_script(store, work, "train_hf.py", [*args, "--num_train_epochs", "2"], "hf-a")
    run_script(store, work, "train_hf.py", [*args, "--num_train_epochs", "3"], "hf-b")

    recorded = recorded_series(store, "hf-a")
    assert_curves(truth, recorded)
    assert recorded["epoch"][:3] == [(1, 0.5), (2, 1.0), (3, 1.0)]
    assert "seed" not in recorded  # the printed Namespace is not a metric

    config = show_json(work, "hf-a")["config"]
    assert config["model_name_or_path"] == "bert-base-uncased"
    assert config["logging_steps"] == 2 and config["do_eval"] is True
    assert config["num_train_epochs"] == 2
    diff = diff_json(work, "hf-a", "hf-b")
    assert "num_train_epochs" in json.dumps(diff)


def test_table_printer_with_hyphenated_options(store: Store, tmp_path: Path) -> None:
    work = tmp_path / "wordlm"
    args = ["--epochs", "2", "--log-interval", "5", "--tied"]
    truth = run_script(store, work, "train_word_lm.py", [*args, "--dropout", "0.2"], "lm-a")
    run_script(store, work, "train_word_lm.py", [*args, "--dropout", "0.5"], "lm-b")

    recorded = recorded_series(store, "lm-a")
    assert_curves(truth, recorded)
    assert [step for step, _ in recorded["ppl"]] == [5, 10, 15, 20]
    assert [step for step, _ in recorded["valid_ppl"]] == [10, 20]

    config = show_json(work, "lm-a")["config"]
    assert config["epochs"] == 2 and config["log_interval"] == 5
    assert config["tied"] is True and config["dropout"] == 0.2
    diff = diff_json(work, "lm-a", "lm-b")
    assert "dropout" in json.dumps(diff["config"]) and diff.get("identical") is not True
