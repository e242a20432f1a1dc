from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

SmoothClip = Callable[..., np.ndarray]


def _smooth_clip(frames: int = 5, height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    """A uint8 (T, H, W, 3) clip of slowly varying colour, distinct per frame: JPEG-friendly like a render."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    freq = rng.uniform(0.02, 0.08, (3, 2))
    phase = rng.uniform(0, 2 * np.pi, 3)
    clip = np.empty((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        for c in range(3):
            clip[t, :, :, c] = np.round(127.5 + 100 * np.sin(freq[c, 0] * x + freq[c, 1] * y + phase[c] + 0.4 * t))
    return clip


@pytest.fixture
def smooth_clip() -> SmoothClip:
    return _smooth_clip
