"""Temporal alignment: SynthDa's linear stretch of the shorter clip, and resampling to a frame rate."""

from __future__ import annotations

import numpy as np

from generation.errors import BlendError
from generation.poses.sequence import PoseSequence


def stretch(joints: np.ndarray, num_frames: int) -> np.ndarray:
    """Linearly resample (T, ...) over its whole span to num_frames frames, returned in float64.

    new_t = linspace(0, T - 1, num_frames), linear interpolation per joint and coordinate: no cropping, padding or DTW.
    The frame difference is taken in the input's own dtype before the float64 interpolation: that is how SynthDa's
    stretched float32 clips come out bit-exact.
    """
    src = np.asarray(joints)
    if not np.issubdtype(src.dtype, np.floating):
        src = src.astype(np.float64)
    if num_frames < 1:
        raise BlendError(f"num_frames: must be >= 1, got {num_frames}")
    length = src.shape[0]
    if length == 1:
        return np.repeat(src.astype(np.float64), num_frames, axis=0)
    t = np.linspace(0.0, length - 1, num_frames)
    i0 = np.minimum(np.floor(t).astype(np.intp), length - 2)
    frac = (t - i0).reshape((-1,) + (1,) * (src.ndim - 1))
    return src[i0] + (src[i0 + 1] - src[i0]) * frac


def resample_fps(seq: PoseSequence, fps: float) -> PoseSequence:
    """The same motion at another frame rate (same duration span, linear interpolation)."""
    if not (np.isfinite(fps) and fps > 0):
        raise BlendError(f"fps: must be a positive number, got {fps!r}")
    if fps == seq.fps:
        return seq
    frames = max(2, round((seq.num_frames - 1) * fps / seq.fps) + 1)
    return seq.with_joints(stretch(seq.joints, frames).astype(seq.joints.dtype), fps=fps)
