r"""Read the per-round lines of gradient boosting libraries (pure, no I/O).

Each prints one line per boosting round, its fields separated by tabs:

    [3]\tvalidation_0-logloss:0.18160\tvalidation_1-logloss:0.21618     XGBoost
    [0]\ttrain-rmse:67.24174+0.86562\ttest-rmse:69.49230+1.50560        xgboost.cv
    [10]\tvalid_0's binary_logloss: 0.264968                            LightGBM
    [1]\tvalid's l2: 5524.95 + 738.252                                  lightgbm.cv
    15:\tlearn: 35.35\ttest: 53.06\tbest: 52.57 (13)\ttotal: 33.1ms\tremaining: 28.9ms   CatBoost

The round is the step, as printed (XGBoost and CatBoost count from 0, LightGBM from 1).
Names are the library's own: XGBoost's ``validation_0-logloss`` as is, LightGBM's
``valid_0's l2`` as ``valid_0_l2`` (two words joined like any key), and a cross-validation
mean and deviation under the names the library gives its result columns (xgboost.cv:
``train-rmse-mean``/``-std``; lightgbm.cv: ``valid l2-mean``/``-stdv`` → ``valid_l2-mean``).
CatBoost's ``total`` (elapsed) and ``remaining`` (an ETA) are times whose unit changes as
training goes on (``715ms``, ``58.3s``, ``1m 55s``): neither is kept.
"""

from __future__ import annotations

import re
from typing import Final

BoostingRound = tuple[int, dict[str, float]]

_NUM: Final = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_ROUND = re.compile(r"^\[(?P<n>\d+)\]\t(?P<rest>.+)$")
_CATBOOST_ROUND = re.compile(r"^(?P<n>\d+):\t(?P<rest>.+)$")
_XGB_FIELD = re.compile(rf"^(?P<key>[A-Za-z_][^\s:']*):(?P<value>{_NUM})(?:\+(?P<std>{_NUM}))?$")
_LGB_FIELD = re.compile(
    rf"^(?P<data>[^\s:']+)'s (?P<metric>[^\s:]+): (?P<value>{_NUM})(?: \+ (?P<std>{_NUM}))?$"
)
_CATBOOST_FIELD = re.compile(rf"^(?P<key>[A-Za-z_]\w*): (?P<value>{_NUM})(?: \(\d+\))?$")
CATBOOST_TIMES: Final = frozenset({"total", "remaining"})


def read_boosting_round(text: str) -> BoostingRound | None:
    """(round, values) of an XGBoost, LightGBM or CatBoost round line, else None."""
    if "\t" not in text:
        return None
    if text[0] == "[":
        found = _ROUND.match(text)
        return _xgboost_or_lightgbm(int(found["n"]), found["rest"]) if found else None
    found = _CATBOOST_ROUND.match(text)
    return _catboost(int(found["n"]), found["rest"]) if found else None


def _xgboost_or_lightgbm(n: int, rest: str) -> BoostingRound | None:
    values: dict[str, float] = {}
    for field in rest.split("\t"):
        if not field:
            continue
        xgb = _XGB_FIELD.match(field)
        if xgb is not None:
            _put(values, xgb["key"], xgb["value"], xgb["std"], "-mean", "-std")
            continue
        lgb = _LGB_FIELD.match(field)
        if lgb is None:
            return None
        key = f"{lgb['data']}_{lgb['metric']}".lower()
        _put(values, key, lgb["value"], lgb["std"], "-mean", "-stdv")
    return (n, values) if values else None


def _put(
    values: dict[str, float], key: str, value: str, std: str | None, mean: str, dev: str
) -> None:
    if std is None:
        values[key] = float(value)
    else:
        values[key + mean] = float(value)
        values[key + dev] = float(std)


def _catboost(n: int, rest: str) -> BoostingRound | None:
    values: dict[str, float] = {}
    for field in rest.split("\t"):
        key = field.split(":", 1)[0]
        if key in CATBOOST_TIMES:
            continue
        found = _CATBOOST_FIELD.match(field)
        if found is None:
            return None
        values[key] = float(found["value"])
    return (n, values) if values else None
