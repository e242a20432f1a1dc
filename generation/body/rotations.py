"""Rotation helpers for fitting: the continuous 6D representation, axis-angle, minimal swings and Kabsch.

Fits optimise 6D rotations (two matrix columns, Zhou et al. 2019): unlike axis-angle they have no singularity at a
half turn and no wrap-around, so gradient steps behave the same for every pose. SMPL's parameters are axis-angle,
converted at the end.
"""

from __future__ import annotations

import torch

_EPS = 1e-8


def rot6d_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3): Gram-Schmidt on two columns."""
    a1, a2 = x[..., :3], x[..., 3:]
    b1 = a1 / a1.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    a2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = a2 / a2.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    b3 = _cross(b1, b2)
    return torch.stack([b1, b2, b3], dim=-1)


def _cross(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # Written out: linalg.cross's backward is several times slower on the small last dimension.
    ax, ay, az = a.unbind(-1)
    bx, by, bz = b.unbind(-1)
    return torch.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], dim=-1)


def matrix_to_rot6d(r: torch.Tensor) -> torch.Tensor:
    return torch.cat([r[..., :, 0], r[..., :, 1]], dim=-1)


def axis_angle_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle -> (..., 3, 3) (Rodrigues; exact near zero)."""
    angle = v.norm(dim=-1, keepdim=True)
    axis = v / angle.clamp_min(_EPS)
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(*v.shape[:-1], 3, 3)
    s, c = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    eye = torch.eye(3, dtype=v.dtype, device=v.device)
    return eye + s * k + (1.0 - c) * (k @ k)


def matrix_to_axis_angle(r: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 3), angle in [0, pi], through the quaternion (stable at every angle)."""
    m = r
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    # Shepperd: build the quaternion from whichever of w, x, y, z is largest.
    candidates = torch.stack([
        torch.stack([1 + trace, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0],
                     m[..., 1, 0] - m[..., 0, 1]], -1),
        torch.stack([m[..., 2, 1] - m[..., 1, 2], 1 + 2 * m[..., 0, 0] - trace, m[..., 0, 1] + m[..., 1, 0],
                     m[..., 0, 2] + m[..., 2, 0]], -1),
        torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0], 1 + 2 * m[..., 1, 1] - trace,
                     m[..., 1, 2] + m[..., 2, 1]], -1),
        torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1],
                     1 + 2 * m[..., 2, 2] - trace], -1),
    ], dim=-2)  # fmt: skip
    diag = torch.stack([trace, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], -1)
    best = diag.argmax(-1)
    q = torch.gather(candidates, -2, best[..., None, None].expand(*best.shape, 1, 4)).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    q = torch.where(q[..., :1] < 0, -q, q)  # w >= 0: angle <= pi
    sin_half = q[..., 1:].norm(dim=-1, keepdim=True)
    angle = 2.0 * torch.atan2(sin_half, q[..., :1])
    return q[..., 1:] * (angle / sin_half.clamp_min(_EPS))


def swing(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) smallest rotation taking unit vectors u to v (a half turn about an axis square to u if opposite)."""
    axis = torch.linalg.cross(u, v, dim=-1)
    sin = axis.norm(dim=-1, keepdim=True)
    cos = (u * v).sum(-1, keepdim=True)
    # Opposite vectors: any axis square to u does; take the one least aligned with a coordinate axis of u.
    helper = torch.zeros_like(u)
    helper.scatter_(-1, u.abs().argmin(-1, keepdim=True), 1.0)
    fallback = torch.linalg.cross(u, helper, dim=-1)
    axis = torch.where(sin > 1e-6, axis / sin.clamp_min(_EPS), fallback / fallback.norm(dim=-1, keepdim=True))
    return axis_angle_to_matrix(axis * torch.atan2(sin, cos))


def kabsch(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation R minimising sum |R s_i - t_i|^2 over the vectors s_i, t_i of (..., N, 3)."""
    cov = target.transpose(-1, -2) @ source  # sum t s^T
    u, _, vh = torch.linalg.svd(cov)
    det = torch.linalg.det(u @ vh)
    fix = torch.ones_like(cov[..., 0])
    fix[..., 2] = torch.sign(det) + (det == 0).to(det.dtype)
    return u @ torch.diag_embed(fix) @ vh
