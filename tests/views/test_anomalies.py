"""The anomaly rules on synthetic curves: exact detections, none on healthy curves."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runar.views.anomalies import Anomaly, KeyState, WatchSpec
from runar.views.anomaly_fold import fold_points
from runar.views.anomaly_watch import alarming, default_spec, to_record

N = 1500


def detect(values, key="loss", spec=None, steps=None, chunks=None) -> list[Anomaly]:
    """Fold a curve (in chunks of the given sizes, or at once); the anomalies found."""
    spec = spec or default_spec(key)
    values = [float(v) for v in values]
    steps = list(range(len(values))) if steps is None else steps
    state, out = KeyState(), []
    bounds = [0, len(values)]
    if chunks is not None:
        bounds, at = [0], 0
        for size in chunks:
            at = min(len(values), at + size)
            bounds.append(at)
        bounds.append(len(values))
    for lo, hi in itertools.pairwise(bounds):
        fold_points(state, key, spec, steps[lo:hi], values[lo:hi], [0] * (hi - lo), out)
    return sorted(out, key=lambda a: (a.first_step, a.rule))


def found(anomalies: list[Anomaly]) -> list[tuple[str, str, int | None]]:
    return [(a.rule, a.key, a.first_step) for a in anomalies]


def healthy_loss(seed: int, n: int = N, noise: float = 0.08, decays=(0.4, 0.7)) -> np.ndarray:
    """A training loss as people see it: warmup, noisy decay, sharp drops at LR decays."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    warm = np.minimum(1.0, (t + 1) / (0.05 * n))  # LR warmup: slow at first
    progress = np.cumsum(warm) / n
    loss = 2.5 * np.exp(-4 * progress) + 0.6
    for at in decays:  # step LR decay: the loss falls by a quarter within a few steps
        loss[int(at * n) :] *= 0.75
    return loss * np.exp(rng.normal(0.0, noise, n))


def test_nan_at_step_200_is_found_at_that_step():
    curve = healthy_loss(1)
    curve[200] = math.nan
    got = detect(curve)
    assert found(alarming(got)) == [("nonfinite", "loss", 200)]
    assert got[0].message == "loss went NaN at step 200" and got[0].level == "error"


def test_a_nan_that_stays_is_one_anomaly_spanning_its_steps():
    curve = healthy_loss(2)
    curve[900:] = math.nan
    [nan] = alarming(detect(curve))
    assert (nan.rule, nan.first_step, nan.last_step) == ("nonfinite", 900, N - 1)


def test_inf_is_named_as_such():
    curve = healthy_loss(3)
    curve[50] = math.inf
    [inf] = alarming(detect(curve))
    assert inf.message == "loss went +inf at step 50"


def test_a_10x_spike_is_found_at_its_step():
    curve = healthy_loss(4)
    curve[800] *= 10
    got = alarming(detect(curve))
    assert found(got) == [("spike", "loss", 800)]
    assert "at step 800" in got[0].message and "10" in got[0].message


def test_a_grad_norm_spike_is_found_and_its_noise_is_not():
    rng = np.random.default_rng(5)
    grad = np.exp(rng.normal(0.0, 0.3, N))
    clean = detect(grad, key="train/grad_norm")
    grad[1000] *= 12
    assert alarming(clean) == []
    assert found(detect(grad, key="train/grad_norm")) == [("spike", "train/grad_norm", 1000)]


def test_divergence_after_step_500_is_found_when_it_starts():
    curve = healthy_loss(6, decays=())
    curve[500:] = curve[500] * np.exp(np.arange(N - 500) / 40)  # blows up
    got = [a for a in detect(curve) if a.rule == "divergence"]
    assert len(got) == 1
    assert 500 <= got[0].first_step <= 500 + 40
    assert got[0].last_step == N - 1 and got[0].level == "error"


def test_a_plateau_is_information_with_its_start():
    rng = np.random.default_rng(7)
    t = np.arange(N)
    curve = np.where(t < 600, 3.0 - 0.004 * t, 0.6) * np.exp(rng.normal(0, 0.01, N))
    got = detect(curve)
    assert alarming(got) == []
    [plateau] = [a for a in got if a.rule == "plateau"]
    assert plateau.level == "info"
    assert 580 <= plateau.first_step <= 640 and plateau.last_step == N - 1


@pytest.mark.parametrize("seed", range(8))
def test_no_alarm_on_healthy_noisy_losses_with_warmup_and_lr_drops(seed):
    assert alarming(detect(healthy_loss(seed, noise=0.05 + 0.02 * seed))) == []


def test_no_plateau_on_a_loss_still_improving():
    t = np.arange(N)
    assert detect(2.0 * np.exp(-t / 400) + 0.1 * np.exp(-t / 3000)) == []


def test_an_accuracy_is_watched_upside_down():
    rng = np.random.default_rng(8)
    acc = np.clip(1 - 0.5 * np.exp(-np.arange(N) / 200), 0, 1) * np.exp(rng.normal(0, 0.01, N))
    spec = WatchSpec(mode="max")
    assert alarming(detect(acc, key="acc", spec=spec)) == []
    acc[700] = 0.05
    got = alarming(detect(acc, key="acc", spec=spec))
    assert found(got) == [("spike", "acc", 700)] and "dropped" in got[0].message


def test_flat_noise_is_not_a_spike():
    rng = np.random.default_rng(9)
    curve = 1.0 + rng.normal(0, 0.02, N)
    assert alarming(detect(curve)) == []


def test_steps_are_the_logged_steps():
    curve = healthy_loss(10, n=300)
    curve[100] = math.nan
    got = detect(curve, steps=[10 * i for i in range(300)])
    assert found(alarming(got)) == [("nonfinite", "loss", 1000)]


def test_other_keys_get_only_the_nonfinite_rule():
    curve = healthy_loss(11)
    curve[300] *= 20
    assert detect(curve, key="lr") == []
    curve[400] = math.nan
    assert found(detect(curve, key="lr")) == [("nonfinite", "lr", 400)]


def test_episodes_are_capped_per_rule():
    curve = np.ones(400)
    curve[::2] = math.nan
    assert len(detect(curve)) == 50


def _anomalous_curve(seed: int) -> np.ndarray:
    curve = healthy_loss(seed, n=900)
    curve[200] = math.nan
    curve[201:204] = math.inf
    curve[400] *= 10
    curve[401] *= 9
    curve[650:] = curve[650] * np.exp(np.arange(250) / 30)
    return curve


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 3),
    chunks=st.lists(st.integers(1, 120), min_size=1, max_size=40),
)
def test_many_small_batches_find_what_one_batch_finds(seed, chunks):
    curve = _anomalous_curve(seed)
    whole = detect(curve)
    assert {"nonfinite", "spike", "divergence"} <= {a.rule for a in whole}
    assert [to_record(a) for a in detect(curve, chunks=chunks)] == [to_record(a) for a in whole]


@settings(max_examples=15, deadline=None)
@given(chunks=st.lists(st.integers(1, 250), min_size=1, max_size=30))
def test_plateaus_and_long_streaks_do_not_depend_on_batching(chunks):
    rng = np.random.default_rng(12)
    t = np.arange(1200)
    curve = np.where(t < 400, 3.0 - 0.005 * t, 1.0) * np.exp(rng.normal(0, 0.01, 1200))
    curve[700:760] = math.nan  # breaks the plateau's streak of finite points in two
    whole = detect(curve)
    assert {"plateau", "nonfinite"} <= {a.rule for a in whole}
    assert [to_record(a) for a in detect(curve, chunks=chunks)] == [to_record(a) for a in whole]


def test_values_near_the_float_limit_fold_without_numpy_warnings():
    # they sum to inf and inf − inf is NaN; a RuntimeWarning would land in `runar ls`'s output
    huge = [1e308 * (1 + (i % 7) / 10) for i in range(300)] + [-1.7e308] * 40 + [math.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = found(detect(huge))
        assert got == found(detect(huge, chunks=[17] * 30))  # in batches, the same
    assert ("nonfinite", "loss", 340) in got
