"""How commands reach the store and its views without ever creating one by reading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from runar.errors import RunNotFound
from runar.store import Store

if TYPE_CHECKING:
    from runar.views import Views

NO_RUNS_HINT: Final = "no runs yet — start one with: runar train.py"


def current_store() -> Store:
    """The store this command works on (RUNAR_DIR, nearest .runar, git root, cwd)."""
    return Store.discover()


@contextmanager
def existing_views(store: Store) -> Iterator[Views]:
    """The caught-up views of a store that must already hold runs."""
    if not store.exists:
        raise RunNotFound(NO_RUNS_HINT)
    from runar.views import open_views

    with open_views(store) as views:
        yield views
