"""``run.summary``: the last value of every logged key, and what the script sets by hand.

Numbers set by hand are the run's summary (``SummarySet``); other values (a checkpoint
path, a label) go to the config under ``_wandb.summary.<key>``, since a summary holds
only numbers.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from runar.sdk.run import Run as Recorder


class Summary:
    """Item and attribute access; assignments are recorded, reads see logged values too."""

    def __init__(self, recorder: Recorder | None = None) -> None:
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_recorder", recorder)

    def _bind(self, recorder: Recorder | None) -> None:
        object.__setattr__(self, "_recorder", recorder)

    def _logged(self, row: Mapping[str, object]) -> None:
        """What wandb does after each logged row: the latest value of each key is its summary."""
        self._values.update(row)

    def update(self, values: Mapping[str, object] | None = None, **kwargs: object) -> None:
        """Set several summary values."""
        changes = {**(values or {}), **kwargs}
        self._values.update(changes)
        if self._recorder is None or not changes:
            return
        from runar.sdk.values import metric_value

        numbers: dict[str, float] = {}
        other: dict[str, object] = {}
        for key, value in changes.items():
            try:
                numbers[str(key)] = metric_value(str(key), value)
            except TypeError:
                other[str(key)] = value
        if numbers:
            self._recorder.summary(numbers)
        if other:
            self._recorder.config({"_wandb": {"summary": other}})

    def get(self, key: str, default: object = None) -> Any:
        return self._values.get(key, default)

    def keys(self) -> Iterator[str]:
        return iter(list(self._values))

    def items(self) -> list[tuple[str, Any]]:
        return list(self._values.items())

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: object) -> None:
        self.update({key: value})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"wandb summary has no key {name!r}") from None

    def __setattr__(self, name: str, value: object) -> None:
        self.update({name: value})

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)
