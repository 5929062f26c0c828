"""mlflow tags → runar: ``key:value`` tags, so that ``runar ls --tag model:cnn`` finds them.

mlflow's own tags keep their meaning: ``mlflow.runName`` renames the run and
``mlflow.note.content`` is a note. A value too long or multi-line for a label is a
note ``key: value`` instead.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

    from runar.compat.mlflow.runs import ActiveRun

MAX_TAG_VALUE_CHARS: Final = 200


def set_tags(run: ActiveRun, tags: Mapping[str, object]) -> None:
    """Record each tag as mlflow would set it."""
    recorder = run.recorder
    for key, raw in tags.items():
        value = str(raw)
        run.data.tags[str(key)] = value
        if key == "mlflow.runName":
            recorder.rename(value)
            run.info.run_name = recorder.name or value  # `runar -n NAME` keeps NAME
        elif key == "mlflow.note.content":
            recorder.note(value)
        elif len(value) > MAX_TAG_VALUE_CHARS or any(c in value for c in "\n\r\t\x00"):
            recorder.note(f"{key}: {value}")
        else:
            recorder.tag(f"{key}:{value}" if value else str(key))


def delete_tag(run: ActiveRun, key: str) -> None:
    """Remove a tag set earlier in this process."""
    value = run.data.tags.pop(key, None)
    if value is not None and len(value) <= MAX_TAG_VALUE_CHARS:
        run.recorder.untag(f"{key}:{value}" if value else key)
