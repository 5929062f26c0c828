"""A sweep file (`runar sweep -f sweep.toml`): TOML, YAML or JSON with the same keys.

script = "train.py"
args = ["--epochs", "10"]          # passed as they are (optional)
method = "grid"                    # or "random", with count = N
count = 20
seed = 0                           # the random draws' seed (optional)
metric = "val/loss"
mode = "min"
name = "lr-search"                 # optional; -n wins
jobs = 2                           # optional; -j wins
max_failures = 3                   # optional

[fixed]                            # options passed unchanged: --epochs 10
epochs = 10

[space]                            # swept options: a list, or a spec as on the command line
lr = [1e-3, 3e-4, 1e-4]
seed = "0..4"
wd = "loguniform(1e-5, 1e-2)"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from runar.errors import UsageError

KEYS: Final = frozenset(
    {"script", "args", "method", "count", "seed", "metric", "mode", "name", "jobs"}
    | {"max_failures", "fixed", "space"}
)


@dataclass
class SweepFile:
    """What a sweep file asks for; the script's arguments already in command-line form."""

    script: str
    args: list[str] = field(default_factory=list)
    method: str = "grid"
    count: int | None = None
    seed: int | None = None
    metric: str | None = None
    mode: str | None = None
    name: str | None = None
    jobs: int | None = None
    max_failures: int | None = None
    fixed: int = 0  # the first ``fixed`` args (args, [fixed]) pass unchanged, never swept


def _text(value: Any) -> str:
    """A value as the script's command line receives it."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 0.0003, 1e-05: what was written
    return str(value)


def _option(key: str) -> str:
    return key if key.startswith("-") else f"--{key}"


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the sweep file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"sweep file {path} is not UTF-8 text; is it the right file?") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            data: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise UsageError(
                    f"{path} is YAML, which needs PyYAML: pip install pyyaml (or use TOML/JSON)"
                ) from None
            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise UsageError(f"sweep file {path}: use a .toml, .yaml/.yml or .json file")
    except UsageError:
        raise
    except Exception as exc:  # each parser has its own error type; all mean the same here
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"sweep file {path} does not parse: {first}") from None
    if not isinstance(data, dict):
        raise UsageError(f"sweep file {path} must hold a table of keys (script, space, …)")
    return data


def _int(data: dict[str, Any], key: str, path: Path) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"sweep file {path}: {key} must be a whole number, not {value!r}")
    return value


def load(path: Path) -> SweepFile:
    """Read a sweep file; UsageError naming the file and the bad key."""
    data = _read(path)
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise UsageError(
            f"sweep file {path}: unknown key {unknown[0]!r}; keys are {', '.join(sorted(KEYS))}"
        )
    script = data.get("script")
    if not isinstance(script, str) or not script:
        raise UsageError(f'sweep file {path}: give the script to run, e.g. script = "train.py"')
    args = data.get("args", [])
    if not isinstance(args, list):
        raise UsageError(f'sweep file {path}: args must be a list, e.g. ["--epochs", "10"]')
    tokens = [_text(a) for a in args]
    fixed = 0
    for section in ("fixed", "space"):
        fixed = len(tokens)  # all before [space]: "0.9,0.999" in [fixed] is one value
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise UsageError(f"sweep file {path}: [{section}] must be a table of options")
        for key, value in table.items():
            if section == "fixed" and value is True:
                tokens.append(_option(key))  # a flag
            elif section == "space" and isinstance(value, list):
                if not value:
                    raise UsageError(f"sweep file {path}: space.{key} lists no values")
                if any("," in _text(v) for v in value):  # joined by commas, it would split
                    raise UsageError(
                        f"sweep file {path}: space.{key} has a value with a comma, which "
                        "would be split into values; write each value without one"
                    )
                tokens += [_option(key), ",".join(_text(v) for v in value)]
            else:
                tokens += [_option(key), _text(value)]
    method = data.get("method", "grid")
    if method not in ("grid", "random"):
        raise UsageError(f"sweep file {path}: method is grid or random, not {method!r}")
    return SweepFile(
        script=script,
        args=tokens,
        method=method,
        count=_int(data, "count", path),
        seed=_int(data, "seed", path),
        metric=data.get("metric"),
        mode=data.get("mode"),
        name=data.get("name"),
        jobs=_int(data, "jobs", path),
        max_failures=_int(data, "max_failures", path),
        fixed=fixed,
    )
