"""Plausibility measures of a SMPL-22 clip: stature, bone lengths, height of the feet above the floor."""

from __future__ import annotations

import numpy as np

from generation.poses.joints import smpl22_bones
from generation.poses.sequence import PoseSequence

# SMPL-22 joints from ankle to head along one side; the head joint sits ~0.1 m below the top of the skull and the
# ankle ~0.08 m above the sole, so stature = chain length + _HEAD_AND_SOLE.
_STATURE_CHAIN = (7, 4, 1, 0, 3, 6, 9, 12, 15)
_HEAD_AND_SOLE = 0.18
FEET = (7, 8, 10, 11)


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(T, 21) lengths of the SMPL-22 bones."""
    bones = smpl22_bones()
    parents = [p for p, _ in bones]
    children = [c for _, c in bones]
    return np.linalg.norm(joints[:, children] - joints[:, parents], axis=-1)


def estimate_stature(seq: PoseSequence) -> float:
    """Standing height in metres from the ankle-to-head chain (median over frames), independent of posture."""
    chain = seq.joints[:, list(_STATURE_CHAIN)].astype(np.float64)
    lengths = np.linalg.norm(np.diff(chain, axis=1), axis=-1).sum(axis=1)
    return float(np.median(lengths) + _HEAD_AND_SOLE)


def feet_height(seq: PoseSequence) -> np.ndarray:
    """(T,) height of the lowest foot joint above the floor (canonical frame is y down). Needs seq.floor_y."""
    if seq.floor_y is None:
        raise ValueError(f"{seq.source}: floor_y: unknown for this clip, cannot measure feet height")
    lowest = seq.joints[:, list(FEET), 1].max(axis=1)
    return seq.floor_y - lowest


def bounding_box(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    """(min xyz, max xyz) over all frames and joints."""
    flat = seq.joints.reshape(-1, 3)
    return flat.min(axis=0), flat.max(axis=0)
