"""Named remotes, kept in the store's config file ``.runar/config.json`` (never credentials)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Final

from runar.errors import UsageError
from runar.remote.url import is_remote_url, looks_like_url, parse_url
from runar.store import Store

CONFIG_FILENAME: Final = "config.json"
DEFAULT_REMOTE: Final = "origin"
ENV_REMOTE: Final = "RUNAR_REMOTE"
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def config_path(store: Store) -> Path:
    return store.root / CONFIG_FILENAME


def _read(store: Store) -> dict[str, object]:
    try:
        data = json.loads(config_path(store).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {config_path(store)}: {exc}; fix or delete it") from None
    return data if isinstance(data, dict) else {}


def _write(store: Store, data: dict[str, object]) -> None:
    path = config_path(store)
    store.root.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)  # another command reading the config sees the old or the new one


def remotes(store: Store) -> dict[str, str]:
    """Remote name → URL, as configured in this store."""
    found = _read(store).get("remotes")
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items()}


def add_remote(store: Store, name: str, url: str) -> None:
    """Name a remote; UsageError for a bad name, a bad URL or a name already taken."""
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a remote name; use letters, digits, '-', '_', '.'")
    parse_url(url)
    data = _read(store)
    known = dict(remotes(store))
    if name in known and known[name] != url:
        raise UsageError(f"remote {name!r} is {known[name]}; 'runar remote rm {name}' first")
    known[name] = url
    data["remotes"] = known
    _write(store, data)


def remove_remote(store: Store, name: str) -> str:
    """Forget a remote (its bucket is untouched); the URL it had."""
    data = _read(store)
    known = dict(remotes(store))
    if name not in known:
        raise UsageError(f"no remote named {name!r}; see 'runar remote ls'")
    url = known.pop(name)
    data["remotes"] = known
    _write(store, data)
    return url


def resolve_remote(store: Store, ref: str | None) -> tuple[str, str]:
    """(name, URL) for a remote name, a URL, or None (RUNAR_REMOTE, 'origin' or the only one)."""
    ref = ref or os.environ.get(ENV_REMOTE) or None
    if ref is not None and (is_remote_url(ref) or looks_like_url(ref)):
        parse_url(ref)  # 's3:/bucket', 's4://x': the URL's fault, not an unknown name
        return ref, ref
    known = remotes(store)
    if ref is None:
        if DEFAULT_REMOTE in known:
            ref = DEFAULT_REMOTE
        elif len(known) == 1:
            ref = next(iter(known))
        elif not known:
            raise UsageError("no remote configured; 'runar remote add origin s3://BUCKET/PREFIX'")
        else:
            raise UsageError(f"several remotes ({', '.join(sorted(known))}); name one")
    if ref not in known:
        raise UsageError(f"no remote named {ref!r}; see 'runar remote ls'")
    return ref, known[ref]
