"""Coordinate-frame conversions into the canonical frame (y down, z forward), as SynthDa does it."""

from __future__ import annotations

import numpy as np

_FLIP = (1.0, -1.0, -1.0)


def synthetic_flip(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SynthDa's centre-and-flip of a y-up clip: c = per-axis median of frame 0's joints; (P - c) * (1, -1, -1).

    Computed in the input's own dtype (float32 for text-to-motion output): the reference files are bit-exact only so.
    Returns the flipped joints and the centre c.
    """
    arr = np.asarray(joints)
    centre = np.median(arr[0], axis=0)
    flipped = (arr - centre) * np.asarray(_FLIP, dtype=arr.dtype)
    return flipped, centre


def y_up_to_canonical(joints: np.ndarray, floor_height: float = 0.0) -> tuple[np.ndarray, float]:
    """Bring a y-up clip whose ground plane is at y = floor_height into the canonical frame with the synthetic flip.

    Returns the joints and floor_y, the ground plane's y in the canonical (y-down) frame.
    """
    flipped, centre = synthetic_flip(joints)
    floor_y = -(floor_height - float(centre[1]))
    return flipped, floor_y
