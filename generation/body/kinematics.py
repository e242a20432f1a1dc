"""Forward kinematics of SMPL's body joints, and an analytic first guess of the rotations from target joints."""

from __future__ import annotations

import torch

from generation.body.rotations import kabsch, swing
from generation.body.skeleton import NUM_BODY_JOINTS, PARENTS, children

_MIN_BONE = 1e-3  # metres: a shorter target bone (a converted clip's copied joint) says nothing about direction


def forward_joints(local: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
    """Joint positions (J, ..., 3) from local rotations (J, ..., 3, 3) and rest joints (J, ..., 3), joint-major
    (each joint's slice is contiguous: batched 3 x 3 products are several times slower on strided views), root at
    its rest position (add the translation outside). smplx's batch_rigid_transform gives the same for these joints."""
    rots = local.unbind(0)
    rest_j = rest.unbind(0)
    glob: list[torch.Tensor] = [rots[0]]
    pos: list[torch.Tensor] = [rest_j[0].expand(*local.shape[1:-2], 3)]
    for j in range(1, len(rots)):
        p = PARENTS[j]
        bone = (rest_j[j] - rest_j[p]).unsqueeze(-1)
        pos.append(pos[p] + (glob[p] @ bone).squeeze(-1))
        glob.append(glob[p] @ rots[j])
    return torch.stack(pos, dim=0)


def initial_rotations(target: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
    """(N, 22, 3, 3) local rotations that point every rest bone along the target's bone: a joint with several
    children (pelvis, upper spine) takes the Kabsch rotation of its child bones, one with a single child the
    smallest swing from where its parent left it; twist about a bone is not observable from joints, so it stays as
    the parent's. target (N, 22, 3), rest (N, 22, 3), both in SMPL's frame."""
    n = target.shape[0]
    eye = torch.eye(3, dtype=target.dtype, device=target.device).expand(n, 3, 3)
    kids = children(NUM_BODY_JOINTS)
    glob: list[torch.Tensor] = []
    local: list[torch.Tensor] = []
    for j in range(NUM_BODY_JOINTS):
        parent_glob = glob[PARENTS[j]] if j else eye
        if len(kids[j]) >= 2:
            src = rest[:, kids[j]] - rest[:, j : j + 1]
            dst = target[:, kids[j]] - target[:, j : j + 1]
            g = kabsch(src, dst)
        elif len(kids[j]) == 1:
            k = kids[j][0]
            src = (parent_glob @ (rest[:, k] - rest[:, j]).unsqueeze(-1)).squeeze(-1)
            dst = target[:, k] - target[:, j]
            length = dst.norm(dim=-1, keepdim=True)
            turn = swing(src / src.norm(dim=-1, keepdim=True).clamp_min(1e-8), dst / length.clamp_min(1e-8))
            g = torch.where((length > _MIN_BONE)[..., None], turn @ parent_glob, parent_glob)
        else:
            g = parent_glob
        glob.append(g)
        local.append(parent_glob.transpose(-1, -2) @ g)
    return torch.stack(local, dim=1)
