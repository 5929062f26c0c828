"""Names a package exports but loads with their module on first use (PEP 562).

``runar`` (the SDK) and ``runar.journal`` use it: every command imports the first on its
way to ``runar.cli``, and a reader of the log need not load the writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(
    namespace: dict[str, Any], where: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package's ``namespace`` (its globals()).

    Each name in ``where`` is imported from its module on first use and kept in the
    namespace, so the next lookup is a plain attribute.
    """
    package = namespace["__name__"]

    def get(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted({*namespace, *where})

    return get, listing
