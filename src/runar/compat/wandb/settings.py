"""``wandb.Settings``: accepted whole; only ``mode`` changes what runar does."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Settings:
    """Keyword settings as attributes (``start_method``, ``mode``, ``silent``…)."""

    def __init__(self, **kwargs: Any) -> None:
        self.mode: str | None = None
        self.__dict__.update(kwargs)

    def __getattr__(self, name: str) -> None:
        return None  # wandb's settings have a value for every name; here unset means None

    def update(self, settings: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Set more settings."""
        self.__dict__.update(settings or {}, **kwargs)

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"
