"""Joint sets and the exact H36M-17 -> SMPL-22 mapping SynthDa uses (see SYNTHDA.md)."""

from __future__ import annotations

import numpy as np

H36M17_NAMES: tuple[str, ...] = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "thorax", "neck_nose", "head",
    "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)

SMPL22_NAMES: tuple[str, ...] = (
    "pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle", "r_ankle", "spine3",
    "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
    "l_wrist", "r_wrist",
)

# Kinematic tree of SMPL-22 (parent of each joint; -1 for the root), the HumanML3D / SMPL convention.
SMPL22_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

JOINT_SETS: dict[str, tuple[str, ...]] = {"h36m17": H36M17_NAMES, "smpl22": SMPL22_NAMES}

# SMPL-22 joint i is copied from H36M joint _H36M_COPY[i]; joints 6 and 9 are interpolated along the spine.
_H36M_COPY: dict[int, int] = {
    0: 0, 1: 4, 2: 1, 3: 7, 4: 5, 5: 2, 7: 6, 8: 3, 10: 6, 11: 3, 12: 8, 13: 11, 14: 14, 15: 10, 16: 11,
    17: 14, 18: 12, 19: 15, 20: 13, 21: 16,
}


def h36m17_to_smpl22(h36m: np.ndarray) -> np.ndarray:
    """Map (..., 17, 3) H36M joints to (..., 22, 3) SMPL-22 joints in float64, exactly as SynthDa.

    Spine2 is the mid-point of spine and thorax, spine3 a quarter of the way from thorax to spine; feet duplicate the
    ankles and collars the shoulders; the H36M nose joint is unused.
    """
    src = np.asarray(h36m, dtype=np.float64)
    out = np.empty(src.shape[:-2] + (22, 3), dtype=np.float64)
    for dst, idx in _H36M_COPY.items():
        out[..., dst, :] = src[..., idx, :]
    out[..., 6, :] = (src[..., 7, :] + src[..., 8, :]) / 2
    out[..., 9, :] = (src[..., 7, :] + 3 * src[..., 8, :]) / 4
    return out


def smpl22_bones() -> list[tuple[int, int]]:
    """(parent, child) pairs of the SMPL-22 tree, parents before children."""
    return [(p, c) for c, p in enumerate(SMPL22_PARENTS) if p >= 0]
