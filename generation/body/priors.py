"""The regularisers of a joint fit: a simple pose prior, SMPLify's knee/elbow bend prior, and shape size.

No learned prior (SMPLify's GMM is another licensed download): joint positions fix every bone's direction, so the
prior only has to settle what joints cannot see, the twist about bones and the rotations of joints with no child in
SMPL-22 (feet, head, wrists), and a pull towards the rest pose does that.
"""

from __future__ import annotations

import torch

from generation.body.skeleton import L_ELBOW, L_KNEE, R_ELBOW, R_KNEE


def pose_prior(rotations: torch.Tensor) -> torch.Tensor:
    """(...,) sum over body joints (not the root) of |R - I|_F^2 = 4 (1 - cos angle), about 2 angle^2 when small.

    rotations are joint-major, (J, ..., 3, 3), here and below."""
    body = rotations[1:]
    trace = body[..., 0, 0] + body[..., 1, 1] + body[..., 2, 2]
    return (2.0 * (3.0 - trace)).sum(0)


def bend_prior(rotations: torch.Tensor) -> torch.Tensor:
    """(...,) squared wrong-way bend of knees and elbows (SMPLify's angle prior, on sin(angle) * axis).

    SMPL's frame: a knee flexes about +x, the left elbow about -y, the right elbow about +y."""

    def skew(j: int, a: int, b: int) -> torch.Tensor:
        return 0.5 * (rotations[j, ..., a, b] - rotations[j, ..., b, a])

    knees = torch.relu(-skew(L_KNEE, 2, 1)) ** 2 + torch.relu(-skew(R_KNEE, 2, 1)) ** 2
    elbows = torch.relu(skew(L_ELBOW, 0, 2)) ** 2 + torch.relu(-skew(R_ELBOW, 0, 2)) ** 2
    return knees + elbows


def shape_prior(betas: torch.Tensor) -> torch.Tensor:
    return (betas**2).sum(-1)
