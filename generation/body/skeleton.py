"""SMPL's kinematic tree and the change of axes between SMPL's frame and the canonical pose frame.

SMPL: y up, z towards the viewer the body faces in its rest pose, x towards the body's left. Canonical
(generation.poses): x right, y down, z forward (away from the source camera). The two differ by a half turn about x,
(x, y, z) -> (x, -y, -z): a proper rotation, so handedness, triangle winding and the body's left/right are kept, and
a body that faces +z in SMPL's frame faces the canonical camera (-z), its left side on the image's right.
"""

from __future__ import annotations

import torch

from generation.poses.joints import SMPL22_PARENTS

NUM_JOINTS = 24  # SMPL's joints: the 22 of SMPL-22 plus two hands, which no pose file carries
NUM_BODY_JOINTS = 22
PARENTS: tuple[int, ...] = SMPL22_PARENTS + (20, 21)  # the hands hang off the wrists
L_KNEE, R_KNEE, L_ELBOW, R_ELBOW = 4, 5, 18, 19

_FLIP = (1.0, -1.0, -1.0)


def flip_axes(points: torch.Tensor) -> torch.Tensor:
    """SMPL frame <-> canonical frame (the half turn about x is its own inverse)."""
    return points * points.new_tensor(_FLIP)


def children(num_joints: int = NUM_BODY_JOINTS) -> list[list[int]]:
    """children[j]: the joints whose parent is j, among the first num_joints."""
    kids: list[list[int]] = [[] for _ in range(num_joints)]
    for j in range(1, num_joints):
        kids[PARENTS[j]].append(j)
    return kids
