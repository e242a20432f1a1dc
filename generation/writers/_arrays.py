"""Turn rendered clips (numpy or torch, CPU or CUDA) into validated uint8 numpy arrays, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generation.writers.errors import WriterError

# Torch is optional here: detect tensors by duck type so importing the writers never imports torch.


def _is_torch(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "torch" and hasattr(obj, "detach")


def _to_numpy(obj: Any, where: str | Path | None) -> np.ndarray:
    if isinstance(obj, np.ndarray):
        return obj
    if _is_torch(obj):
        # One device->host copy for the whole clip or batch; frames are then numpy views.
        return obj.detach().cpu().numpy()
    raise WriterError(where, "frames", f"expected a numpy array or torch tensor, got {type(obj).__name__}")


def _describe(arr: np.ndarray) -> str:
    return f"{arr.dtype} {tuple(arr.shape)}"


def as_frames(frames: Any, where: str | Path | None = None) -> np.ndarray:
    """One clip as a uint8 (T, H, W, 3) numpy array (no copy for numpy input); WriterError otherwise."""
    arr = _to_numpy(frames, where)
    if arr.dtype != np.uint8 or arr.ndim != 4 or arr.shape[-1] != 3:
        raise WriterError(where, "frames", f"expected uint8 (T, H, W, 3) RGB, got {_describe(arr)}")
    if 0 in arr.shape:
        raise WriterError(where, "frames", f"empty clip {tuple(arr.shape)}")
    return arr


def split_batch(frames: Any, where: str | Path | None = None) -> list[np.ndarray]:
    """A (B, T, H, W, 3) batch (or a single (T, H, W, 3) clip) as a list of per-clip numpy views."""
    arr = _to_numpy(frames, where)
    if arr.ndim == 4:
        return [as_frames(arr, where)]
    if arr.dtype != np.uint8 or arr.ndim != 5 or arr.shape[-1] != 3:
        raise WriterError(where, "frames", f"expected uint8 (B, T, H, W, 3) RGB, got {_describe(arr)}")
    return [as_frames(clip, where) for clip in arr]
