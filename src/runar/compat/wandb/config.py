"""``wandb.config``: a dict with attribute access whose changes are recorded as runar config."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from runar.sdk.run import Run as Recorder


def as_dict(values: object) -> dict[str, Any]:
    """What ``wandb.config.update()`` accepts as a dict: mappings, argparse/absl namespaces,
    objects with ``to_dict()`` (transformers configs), else their attributes."""
    if values is None:
        return {}
    if hasattr(values, "keys") and hasattr(values, "__getitem__"):
        return {str(k): values[k] for k in values.keys()}  # noqa: SIM118 - a Mapping-like may iterate otherwise  # type: ignore[attr-defined]
    to_dict = getattr(values, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    flag_values = getattr(values, "flag_values_dict", None)  # absl.flags.FLAGS
    if callable(flag_values):
        return dict(flag_values())
    try:
        return {k: v for k, v in vars(values).items() if not k.startswith("_")}
    except TypeError:
        raise TypeError(
            f"wandb.config takes a dict or an argparse.Namespace, got {type(values).__name__}"
        ) from None


def _plain(value: object) -> object:
    """A value as wandb keeps it in its config: namespaces become dicts, tuples lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    argparse = sys.modules.get("argparse")
    if argparse is not None and isinstance(value, argparse.Namespace):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


class Config:
    """Attribute and item access; every change goes to the run's config (nested dicts kept)."""

    def __init__(self, recorder: Recorder | None = None) -> None:
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_recorder", recorder)
        object.__setattr__(self, "_warned", False)

    def _bind(self, recorder: Recorder | None) -> None:
        object.__setattr__(self, "_recorder", recorder)

    def update(
        self, values: object = None, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Merge ``values`` (a dict, a namespace, ``to_dict()``-able) into the config."""
        del kwargs  # e.g. exclude_keys in some versions; nothing to do with them
        changes = {k: _plain(v) for k, v in as_dict(values).items()}
        if not changes:
            return
        if not allow_val_change:
            items = self._items
            self._warn_changed(k for k, v in changes.items() if k in items and items[k] != v)
        self._items.update(changes)
        if self._recorder is not None:
            self._recorder.config(changes)

    def _warn_changed(self, keys: Iterable[str]) -> None:
        changed = list(keys)
        if changed and not self._warned:
            object.__setattr__(self, "_warned", True)
            # wandb raises here; a tracker must not stop training, so runar records and says so
            sys.stderr.write(
                f"runar: wandb.config {', '.join(changed)} changed without "
                "allow_val_change=True; recorded the new value\n"
            )

    def setdefaults(self, values: object) -> None:
        """Set the keys that are not set yet."""
        self.update({k: v for k, v in as_dict(values).items() if k not in self._items}, True)

    def as_dict(self) -> dict[str, Any]:
        """A copy of the values."""
        return dict(self._items)

    def get(self, key: str, default: object = None) -> Any:
        return self._items.get(key, default)

    def keys(self) -> Iterable[str]:
        return self._items.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._items.items()

    def values(self) -> Iterable[Any]:
        return self._items.values()

    def persist(self) -> None:
        """Nothing to do: every change is already in the log."""

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __setitem__(self, key: str, value: object) -> None:
        self.update({key: value})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(f"wandb.config has no key {name!r}") from None

    def __setattr__(self, name: str, value: object) -> None:
        self.update({name: value})

    def __delitem__(self, key: str) -> None:
        del self._items[key]  # wandb forgets it too; the log keeps what was recorded

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)
