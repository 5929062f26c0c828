"""Images handed to a tracker as arrays (numpy, torch) → PNG bytes, with zlib and no PIL.

wandb.Image and mlflow.log_image take HxW, HxWxC or CxHxW arrays, uint8 or float in
[0, 1]; both trackers need PIL for that, but a training script may not have it.
"""

from __future__ import annotations

import struct
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

# channels → PNG colour type: grey, grey with alpha, RGB, RGBA
COLOR_TYPES: Final = {1: 0, 2: 4, 3: 2, 4: 6}


def as_array(obj: object) -> object | None:
    """A numpy array for a numpy array or a torch tensor; None for anything else."""
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):
        obj = obj.detach().cpu().numpy()  # type: ignore[attr-defined]
    if type(obj).__module__.split(".")[0] == "numpy" and hasattr(obj, "shape"):
        return obj
    return None


def png_bytes(array: object) -> bytes:
    """Encode an image array as PNG; ValueError for a shape that is no image."""
    import numpy as np  # only reached with an array in hand, so numpy is loaded already

    data = np.asarray(array)
    if data.ndim == 3 and data.shape[0] in (1, 3, 4) and data.shape[-1] not in (1, 3, 4):
        data = np.transpose(data, (1, 2, 0))  # CHW, as torch keeps images, → HWC
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3 or data.shape[2] not in COLOR_TYPES:
        raise ValueError(f"an image is HxW, HxWxC or CxHxW with 1-4 channels, got {data.shape}")
    if data.dtype.kind == "f":
        # floats in [0, 1] are intensities; anything larger is already on the 0-255 scale
        scale = 255.0 if data.size and float(np.nanmax(data)) <= 1.0 else 1.0
        data = np.nan_to_num(data * scale)
    data = np.clip(data, 0, 255).astype(np.uint8)
    height, width, channels = data.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), data.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
