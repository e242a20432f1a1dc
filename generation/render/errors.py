"""The one error type the renderer reports to a user: one line, naming what is wrong and what would be valid."""

from __future__ import annotations

import torch

from generation.errors import AutoSynthDaError


class RenderError(AutoSynthDaError, ValueError):
    """An unusable render request: bad view name, non-finite joints, wrong shapes, bad options."""


def check_joints(joints: torch.Tensor, what: str = "joints") -> torch.Tensor:
    """Validate (B, T, 22, 3) joints; a (T, 22, 3) clip is promoted to a batch of one. Returns a float tensor."""
    if not isinstance(joints, torch.Tensor):
        joints = torch.as_tensor(joints)
    if joints.dim() == 3:
        joints = joints.unsqueeze(0)
    if joints.dim() != 4 or joints.shape[-2:] != (22, 3):
        shape = tuple(joints.shape)
        raise RenderError(f"{what}: expected shape (B, T, 22, 3) or (T, 22, 3) in SMPL-22 order, got {shape}")
    if joints.shape[0] == 0 or joints.shape[1] == 0:
        raise RenderError(f"{what}: empty batch or clip, got shape {tuple(joints.shape)}")
    return check_finite(joints, what)


def check_finite(values: torch.Tensor, what: str) -> torch.Tensor:
    """values (B, T, ...) as a float tensor (a non-float one becomes float32), or a RenderError naming the count of
    non-finite entries and the clip and frame of the first. One host sync per call (not per frame): a NaN would
    otherwise silently render as an empty frame."""
    if not values.is_floating_point():
        values = values.float()
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        b, t = (int(v) for v in torch.nonzero(bad)[0, :2])
        raise RenderError(f"{what}: {int(bad.sum())} non-finite values (NaN/inf), first in clip {b} frame {t}")
    return values
