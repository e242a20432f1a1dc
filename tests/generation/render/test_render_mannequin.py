"""The mannequin's primitives."""

from __future__ import annotations

import numpy as np
import torch

from generation.poses import h36m17_to_smpl22
from generation.render import PART_NAMES, build_mannequin
from testing.demo_poses import standing_pose, walking_clip


def test_primitives_are_batched_and_scale_with_the_skeleton():
    joints = torch.tensor(np.stack([walking_clip(4), walking_clip(4, heading_deg=30.0)]))
    prims = build_mannequin(joints)
    p = len(PART_NAMES)
    assert prims.a.shape == prims.b.shape == (2, 4, p, 3) and prims.ra.shape == prims.rb.shape == (2, 4, p)
    assert torch.isfinite(prims.a).all() and (prims.ra > 0).all() and (prims.rb > 0).all()
    # A skeleton twice as tall gets a body about twice as big (stature adds a fixed head-and-sole allowance), not
    # a stick figure with the same radii.
    ratio = build_mannequin(joints * 2).ra / prims.ra
    assert ((ratio > 1.85) & (ratio < 2.0)).all()


def test_converted_h36m_feet_point_forward():
    """H36M-converted clips copy the ankles into the feet: the mannequin still gets feet, pointing the way the
    body faces (-z for a body facing the camera)."""
    smpl = standing_pose()
    h36m = np.zeros((17, 3))
    for dst, src in {0: 0, 1: 2, 2: 5, 3: 8, 4: 1, 5: 4, 6: 7, 7: 3, 8: 12, 10: 15, 11: 16, 12: 18, 13: 20,
                     14: 17, 15: 19, 16: 21}.items():  # fmt: skip
        h36m[dst] = smpl[src]
    joints = torch.tensor(h36m17_to_smpl22(h36m)[None, None], dtype=torch.float32)
    assert torch.equal(joints[0, 0, 10], joints[0, 0, 7])
    prims = build_mannequin(joints)
    foot = PART_NAMES.index("foot_l")
    heel, toe = prims.a[0, 0, foot], prims.b[0, 0, foot]
    assert toe[2] < heel[2] - 0.1 and torch.isfinite(prims.a).all()

