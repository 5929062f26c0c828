"""Which keys are watched, with which settings: defaults, .runar/config.toml, runar.watch().

A key's ``WatchSpec`` comes from, in order of precedence: the script's ``runar.watch(key,
...)`` (a WatchSet event), the store's ``.runar/config.toml`` (``[anomalies."val/loss"]``,
glob patterns allowed), then the defaults: loss-like and grad-norm-like keys get the curve
rules, every key gets the non-finite rule.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from runar.errors import RunarError
from runar.store import Store
from runar.views.anomalies import RULES, WatchSpec
from runar.views.summary import lower_is_better

if TYPE_CHECKING:
    from runar.views.anomaly_watch import AnomalyState

CONFIG_FILENAME: Final = "config.toml"  # in the store folder: .runar/config.toml
CONFIG_SECTION: Final = "anomalies"
LOSS_WORDS: Final = ("loss", "nll", "perplexity", "ppl", "mse", "rmse", "mae")
GRAD_WORDS: Final = ("grad_norm", "gradnorm", "grad-norm", "grad/norm", "gnorm", "grad_l2")
_THRESHOLDS: Final = frozenset(WatchSpec.__struct_fields__) - {"mode", "rules"}


class AnomalyConfigError(RunarError):
    """The store's config.toml has an [anomalies] entry runar cannot read."""


def is_loss_like(key: str) -> bool:
    name = key.lower().rsplit("/", 1)[-1]
    return any(word in name for word in LOSS_WORDS)


def is_grad_norm_like(key: str) -> bool:
    name = key.lower()
    return any(word in name for word in GRAD_WORDS)


def default_spec(key: str) -> WatchSpec:
    """Loss-like keys: every rule; grad-norm-like: non-finite and spikes; others: non-finite."""
    if is_grad_norm_like(key):
        return WatchSpec(mode="min", rules=("nonfinite", "spike"))
    if is_loss_like(key):
        return WatchSpec(mode="min")
    return WatchSpec(rules=("nonfinite",))


def _apply(spec: WatchSpec, mode: str | None, rules: Any, thresholds: dict[str, Any]) -> WatchSpec:
    changes: dict[str, Any] = {k: v for k, v in thresholds.items() if v is not None}
    if mode is not None:
        changes["mode"] = mode
    if rules is not None:
        changes["rules"] = tuple(r for r in RULES if r in rules)
    return msgspec.structs.replace(spec, **changes) if changes else spec


def check_watch(
    key: str, mode: str | None, rules: list[str] | None, thresholds: dict[str, Any]
) -> None:
    """Raise ValueError naming what is wrong with a watch request (SDK and config file)."""
    if mode not in (None, "min", "max"):
        raise ValueError(f"watch {key!r}: mode is 'min' or 'max', not {mode!r}")
    for rule in rules or ():
        if rule not in RULES:
            raise ValueError(f"watch {key!r}: unknown rule {rule!r}; rules are {', '.join(RULES)}")
    for name, value in thresholds.items():
        if name not in _THRESHOLDS:
            known = ", ".join(sorted(_THRESHOLDS))
            raise ValueError(f"watch {key!r}: unknown setting {name!r}; settings are {known}")
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"watch {key!r}: {name} must be a positive number, not {value!r}")


@dataclass(frozen=True)
class StoreWatch:
    """The [anomalies] table of a store's config.toml: key or glob pattern → settings."""

    entries: tuple[tuple[str, str | None, list[str] | None, dict[str, Any]], ...] = ()

    @property
    def stamp(self) -> str:
        """Identifies the settings: a run's resolved specs are redone when it changes."""
        return repr(self.entries) if self.entries else ""

    def apply(self, key: str, spec: WatchSpec) -> WatchSpec:
        for pattern, mode, rules, thresholds in self.entries:
            if pattern == key or fnmatch.fnmatchcase(key, pattern):
                spec = _apply(spec, mode, rules, thresholds)
        return spec


_cache: dict[Path, tuple[tuple[int, int], StoreWatch]] = {}


def config_path(store: Store) -> Path:
    return store.root / CONFIG_FILENAME


def store_watch(store: Store) -> StoreWatch:
    """The store's anomaly settings; AnomalyConfigError when the file cannot be read."""
    path = config_path(store)
    try:
        st = path.stat()
    except OSError:
        return StoreWatch()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    import tomllib  # only a store with a config file pays for the parser (~2 ms)

    try:
        table = tomllib.loads(path.read_text()).get(CONFIG_SECTION, {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AnomalyConfigError(f"cannot read {path}: {exc}; fix or remove the file") from exc
    entries = []
    for pattern, settings in table.items():
        if not isinstance(settings, dict):
            raise AnomalyConfigError(
                f'{path}: [{CONFIG_SECTION}."{pattern}"] must be a table, e.g. mode = "min"'
            )
        rest = dict(settings)
        mode, rules = rest.pop("mode", None), rest.pop("rules", None)
        try:
            check_watch(pattern, mode, rules, rest)
        except ValueError as exc:
            raise AnomalyConfigError(f"{path}: {exc}") from exc
        entries.append((pattern, mode, rules, rest))
    found = StoreWatch(tuple(entries))
    _cache[path] = (stamp, found)
    return found


def spec_for(state: AnomalyState, key: str, config: StoreWatch) -> WatchSpec | None:
    """The key's resolved spec; None when no rule is on for it."""
    if key in state.specs:
        return state.specs[key]
    spec = config.apply(key, default_spec(key))
    watch = state.watches.get(key)
    if watch is not None:
        if watch.rules is None and not spec.rules[1:]:  # watching a key turns its rules on
            mode = "min" if lower_is_better(key) else "max"
            spec = msgspec.structs.replace(spec, rules=RULES, mode=mode)
        spec = _apply(spec, watch.mode, watch.rules, watch.thresholds)
    resolved = spec if spec.rules else None
    state.specs[key] = resolved
    return resolved
