"""mlflow's artifact calls → runar artifacts, named by their path inside the run.

``log_artifact("model.txt", "outputs")`` is the artifact ``outputs/model.txt``;
``log_artifacts(dir)`` stores each entry of ``dir`` at the top (as mlflow lays it out).
Figures and images need the library that made them (matplotlib, PIL); image arrays are
encoded as PNG without PIL.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from runar.compat.mlflow.runs import ActiveRun


def _join(artifact_path: str | None, name: str) -> str:
    return f"{artifact_path.strip('/')}/{name}" if artifact_path else name


def log_artifact(
    run: ActiveRun, local_path: str | os.PathLike[str], artifact_path: str | None
) -> None:
    path = Path(os.fspath(local_path))
    run.recorder.save(_join(artifact_path, path.name), path)


def log_artifacts(
    run: ActiveRun, local_dir: str | os.PathLike[str], artifact_path: str | None
) -> None:
    folder = Path(os.fspath(local_dir))
    if not folder.is_dir():
        from runar.compat.mlflow.exceptions import MlflowException

        raise MlflowException(f"log_artifacts: no such folder '{folder}'")
    for entry in sorted(folder.iterdir()):
        run.recorder.save(_join(artifact_path, entry.name), entry)


def log_text(run: ActiveRun, text: str, artifact_file: str) -> None:
    run.recorder.save(artifact_file, text=text)


def log_dict(run: ActiveRun, dictionary: Any, artifact_file: str) -> None:
    """JSON, or YAML for a ``.yaml``/``.yml`` name when PyYAML is there (JSON is YAML too)."""
    import json

    text = json.dumps(dictionary, indent=2, default=str)
    if artifact_file.endswith((".yaml", ".yml")):
        try:
            import yaml

            text = yaml.safe_dump(dictionary, default_flow_style=False)
        except ImportError:
            pass
    run.recorder.save(artifact_file, text=text)


def _save_written(run: ActiveRun, artifact_file: str, write: Callable[[str], None]) -> None:
    """Let a library write the file under its final name, then store it."""
    with tempfile.TemporaryDirectory(prefix="runar-mlflow-") as folder:
        path = os.path.join(folder, os.path.basename(artifact_file))
        write(path)
        run.recorder.save(artifact_file, Path(path))


def log_figure(run: ActiveRun, figure: Any, artifact_file: str, save_kwargs: dict | None) -> None:
    """A matplotlib figure (any format savefig knows) or a plotly one (``.html``)."""
    options = save_kwargs or {}
    if hasattr(figure, "savefig"):
        _save_written(run, artifact_file, lambda p: figure.savefig(p, **options))
    elif hasattr(figure, "write_html") and artifact_file.endswith(".html"):
        _save_written(run, artifact_file, lambda p: figure.write_html(p, **options))
    elif hasattr(figure, "write_image"):
        _save_written(run, artifact_file, lambda p: figure.write_image(p, **options))
    else:
        raise TypeError(
            f"log_figure takes a matplotlib or plotly figure, got {type(figure).__name__}"
        )


def log_image(run: ActiveRun, image: Any, artifact_file: str) -> None:
    """A PIL image or an image array (HxW, HxWxC, CxHxW; uint8 or floats in [0, 1])."""
    from runar.compat.images import as_array, png_bytes

    array = as_array(image)
    if array is not None and artifact_file.lower().endswith(".png"):
        run.recorder.save(artifact_file, png_bytes(array))
    elif array is not None:
        from PIL import Image  # another format than PNG needs PIL, as in mlflow

        _save_written(run, artifact_file, lambda p: Image.fromarray(array).save(p))
    elif hasattr(image, "save") and type(image).__module__.startswith("PIL"):
        _save_written(run, artifact_file, lambda p: image.save(p))
    else:
        raise TypeError(f"log_image takes a PIL image or an array, got {type(image).__name__}")


def log_table(run: ActiveRun, data: Any, artifact_file: str) -> None:
    """A dict of columns or a DataFrame, as JSON ``{"columns": [...], "data": [[...]]}``."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        data = {str(c): list(data[c]) for c in data.columns}
    columns = [str(c) for c in data]
    rows = [list(r) for r in zip(*(data[c] for c in data), strict=False)]
    log_dict(run, {"columns": columns, "data": rows}, artifact_file)
