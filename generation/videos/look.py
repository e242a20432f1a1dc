"""What a synthetic clip needs to look like one source video: its letterbox geometry, its camera, its clean plate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.errors import AutoSynthDaError
from generation.videos.geometry import FrameGeometry, SourceCamera


class LookError(AutoSynthDaError, ValueError):
    """A source look (plate, camera) that cannot be used."""


@dataclass(frozen=True)
class SourceLook:
    """One source video as synthetic clips copy it. Keyed by the video path, which is also the `source` of the poses
    extracted from it (a bank Pair's base_source).

    geometry: how the video sits in the study's square frames (letterbox). camera: its fitted camera, None when the
    fit failed (clips then use drawn views). plate: a (size, size) image, the clean plate inside geometry's content
    rectangle and black bars outside, None when there is none.
    """

    video: str
    geometry: FrameGeometry
    camera: SourceCamera | None = None
    plate: Path | None = None

    def load_plate(self) -> np.ndarray:
        """The plate as (size, size, 3) uint8; a one-line LookError naming the file when it is missing or wrong."""
        if self.plate is None:
            raise LookError(f"{self.video}: no clean plate")
        return read_plate(self.plate, self.geometry.size)


def read_plate(path: str | Path, size: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise LookError(f"{path}: plate: cannot read the image ({exc.__class__.__name__})") from None
    if arr.shape[:2] != (size, size):
        raise LookError(f"{path}: plate: expected {size} x {size} pixels, got {arr.shape[1]} x {arr.shape[0]}")
    return np.ascontiguousarray(arr)
