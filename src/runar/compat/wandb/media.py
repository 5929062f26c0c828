"""``wandb.Image``, ``Histogram``, ``Table`` and the other media types, stored as artifacts.

A logged media value at step ``n`` under key ``k`` becomes the artifact
``media/<k>/<n>.<ext>`` (wandb keeps such files under ``media/`` too): images as PNG
(arrays are encoded without PIL), histograms and tables as JSON, HTML as text,
anything else the file it came from or runar's own ``save()`` format.
"""

from __future__ import annotations

import math
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

    from runar.sdk.run import Run as Recorder

DEFAULT_BINS: Final = 64  # wandb.Histogram's default
MAX_BINS: Final = 512  # wandb's own cap


def _is_path(data: object) -> bool:
    return isinstance(data, os.PathLike) or (isinstance(data, str) and os.path.isfile(data))


def _save_path(recorder: Recorder, base: str, path: object) -> None:
    from pathlib import Path

    source = Path(os.fspath(path))  # type: ignore[arg-type]
    recorder.save(base + source.suffix, source)


def _jsonable(value: object) -> Any:
    """A table cell or histogram entry as JSON holds it; media as a short description."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", 0) == 0:
        try:
            return _jsonable(item())
        except (TypeError, ValueError, RuntimeError):
            pass
    if isinstance(value, Media):
        return f"<{type(value).__name__}>"
    return str(value)


class Media:
    """A value ``wandb.log`` stores as a file rather than as a number."""

    def __init__(self, data_or_path: object = None, caption: str | None = None, **kwargs: Any):
        self._data = data_or_path
        self.caption = caption

    def store(self, recorder: Recorder, base: str) -> None:
        """Write this value as artifact ``base`` plus a suffix fitting its format."""
        if _is_path(self._data):
            _save_path(recorder, base, self._data)
        elif isinstance(self._data, str):
            recorder.save(base + ".txt", text=self._data)
        else:
            recorder.save(base, self._data)  # bytes, numpy, PIL, matplotlib: runar's formats


class Image(Media):
    """An image from a path, a numpy array or torch tensor, a PIL image or a matplotlib figure."""

    def __init__(
        self,
        data_or_path: object,
        mode: str | None = None,
        caption: str | None = None,
        **kwargs: Any,  # grouping, classes, boxes, masks, file_type, normalize
    ) -> None:
        super().__init__(data_or_path, caption)
        self.mode = mode

    def store(self, recorder: Recorder, base: str) -> None:
        from runar.compat.images import as_array, png_bytes

        array = None if _is_path(self._data) else as_array(self._data)
        if array is None:
            super().store(recorder, base)
        else:
            recorder.save(base + ".png", png_bytes(array))


class Histogram(Media):
    """Counts over equal-width bins, from a sequence or a ``np.histogram`` pair."""

    def __init__(
        self,
        sequence: object = None,
        np_histogram: tuple[object, object] | None = None,
        num_bins: int = DEFAULT_BINS,
    ) -> None:
        super().__init__()
        if np_histogram is not None:
            counts, bins = np_histogram
            self.histogram = [_jsonable(c) for c in _values(counts)]
            self.bins = [_jsonable(b) for b in _values(bins)]
        else:
            self.histogram, self.bins = _histogram(_values(sequence), min(num_bins, MAX_BINS))

    def store(self, recorder: Recorder, base: str) -> None:
        recorder.save(base + ".json", {"bins": self.bins, "counts": self.histogram})


def _values(sequence: object) -> list[Any]:
    """A flat list of the numbers in a list, array or tensor."""
    if hasattr(sequence, "detach"):
        sequence = sequence.detach().cpu()  # type: ignore[attr-defined]
    if hasattr(sequence, "tolist"):
        sequence = sequence.tolist()  # type: ignore[attr-defined]
    if sequence is None:
        return []
    if not isinstance(sequence, (list, tuple)):
        return [sequence]
    flat: list[Any] = []
    for value in sequence:
        flat.extend(_values(value) if isinstance(value, (list, tuple)) else [value])
    return flat


def _histogram(values: list[Any], bins: int) -> tuple[list[int], list[float]]:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not numbers:
        return [0] * bins, [float(i) / bins for i in range(bins + 1)]
    low, high = min(numbers), max(numbers)
    if low == high:  # as numpy does: a range of one around the single value
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    counts = [0] * bins
    for value in numbers:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return counts, [low + i * width for i in range(bins + 1)]


class Table(Media):
    """Rows under named columns; stored as ``{"columns": [...], "data": [[...]]}``."""

    def __init__(
        self,
        columns: list[str] | None = None,
        data: list[list[object]] | None = None,
        rows: list[list[object]] | None = None,
        dataframe: object = None,
        **kwargs: Any,  # dtype, optional, allow_mixed_types, log_mode
    ) -> None:
        super().__init__()
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]  # type: ignore[attr-defined]
            data = dataframe.values.tolist()  # type: ignore[attr-defined]
        given = data if data is not None else rows or []
        self.data: list[list[object]] = [list(r) for r in given]
        width = len(self.data[0]) if self.data else 0
        self.columns = list(columns) if columns is not None else [f"c{i}" for i in range(width)]

    def add_data(self, *row: object) -> None:
        """Append one row."""
        self.data.append(list(row))

    def add_column(self, name: str, data: list[object]) -> None:
        """Append a column, one value per existing row."""
        self.columns.append(name)
        for row, value in zip(self.data, data, strict=False):
            row.append(value)

    def get_column(self, name: str) -> list[object]:
        index = self.columns.index(name)
        return [row[index] for row in self.data]

    def store(self, recorder: Recorder, base: str) -> None:
        recorder.save(base + ".json", {"columns": self.columns, "data": _jsonable(self.data)})


class Html(Media):
    """An HTML string or file."""

    def store(self, recorder: Recorder, base: str) -> None:
        if _is_path(self._data):
            _save_path(recorder, base, self._data)
        else:
            recorder.save(base + ".html", text=str(self._data))


class Video(Media):
    """A video file (or an array, stored as .npy)."""


class Audio(Media):
    """An audio file (or an array, stored as .npy)."""

    def __init__(
        self, data_or_path: object, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        super().__init__(data_or_path, caption)
        self.sample_rate = sample_rate


class Object3D(Media):
    """A point cloud or 3D file."""


class Molecule(Media):
    """A molecule file."""
