"""Scripts printing what stable-baselines3 and the boosting libraries print, run unchanged
under `runar`: the recorded curves are exactly the printed ones, at the printed steps."""

from __future__ import annotations

from pathlib import Path

from runar.store import Store
from tests.realistic.test_training_scripts import assert_curves, recorded_series, run_script


def test_sb3_boxes_become_one_point_per_block_at_the_total_timesteps(
    store: Store, tmp_path: Path
) -> None:
    truth = run_script(store, tmp_path / "ppo", "train_ppo_boxes.py", [], "ppo")
    recorded = recorded_series(store, "ppo")
    assert_curves(truth, recorded)
    assert recorded["rollout/ep_rew_mean"][0][0] == 256
    assert "time/total_timesteps" not in recorded
    assert set(recorded) == set(truth)  # the banner lines and the dashes give nothing


def test_boosting_rounds_are_steps_and_catboost_times_are_dropped(
    store: Store, tmp_path: Path
) -> None:
    truth = run_script(store, tmp_path / "gbm", "train_xgboost_rounds.py", [], "gbm")
    recorded = recorded_series(store, "gbm")
    assert_curves(truth, recorded)
    assert recorded["eval-rmse"][-1][0] == 19
    assert set(recorded) == set(truth)  # no total, remaining, best round or Total Bins
