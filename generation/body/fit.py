"""Fit SMPL to SMPL-22 joint clips: every frame of many clips in one batched optimisation, one shape per clip.

Parameters: a 6D rotation per joint and frame, a translation per frame, betas per clip. Loss: squared joint error,
joint acceleration and rotation velocity (temporal smoothness), a pose prior, the knee/elbow bend prior and a shape
prior, all as means, so weights do not depend on clip length or batch size. The joints of a posed SMPL body are a
function of the betas and rotations only (its rest joints are linear in the betas), so the optimisation never
touches a vertex: that is most of why it is fast. It starts from an analytic guess (each bone swung onto its target)
instead of the rest pose, and runs Adam on CPU or GPU.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from generation.body.kinematics import forward_joints, initial_rotations
from generation.body.model import BodyModel
from generation.body.priors import bend_prior, pose_prior, shape_prior
from generation.body.rotations import matrix_to_axis_angle, matrix_to_rot6d, rot6d_to_matrix
from generation.body.skeleton import NUM_BODY_JOINTS, NUM_JOINTS, flip_axes
from generation.errors import PoseDataError

_CM = 0.01  # errors are scored in centimetres so that the weights below are O(1)


@dataclass(frozen=True)
class FitSettings:
    """Optimiser and loss weights (joint error in cm^2 has weight 1)."""

    iterations: int = 200
    lr: float = 0.03
    translation_lr: float = 0.01
    betas_lr: float = 0.05
    accel_weight: float = 0.05
    rotation_velocity_weight: float = 20.0
    pose_prior_weight: float = 0.02
    bend_prior_weight: float = 50.0
    shape_prior_weight: float = 0.02


@dataclass(frozen=True)
class ClipFit:
    """One clip's fit. rotations (T, 24, 3, 3) local, SMPL frame; transl (T, 3) SMPL frame; joints (T, 22, 3) the
    fitted body's joints in the canonical frame; error_mm (T, 22) their distance to the targets."""

    betas: np.ndarray
    rotations: np.ndarray
    transl: np.ndarray
    joints: np.ndarray
    error_mm: np.ndarray

    @property
    def global_orient(self) -> np.ndarray:
        """(T, 3) SMPL's axis-angle global orientation."""
        return matrix_to_axis_angle(torch.from_numpy(self.rotations[:, 0])).numpy()

    @property
    def body_pose(self) -> np.ndarray:
        """(T, 69) SMPL's axis-angle body pose (joints 1-23)."""
        aa = matrix_to_axis_angle(torch.from_numpy(self.rotations[:, 1:]))
        return aa.reshape(len(aa), -1).numpy()


@dataclass(frozen=True)
class FitResult:
    clips: list[ClipFit]
    seconds: float
    iterations: int
    device: str
    losses: list[float] = field(default_factory=list, repr=False)

    @property
    def frames(self) -> int:
        return sum(len(c.joints) for c in self.clips)

    @property
    def mean_error_mm(self) -> float:
        """Mean per-joint error over every frame of every clip."""
        return float(np.concatenate([c.error_mm.reshape(-1) for c in self.clips]).mean())


def check_clip(joints: np.ndarray | torch.Tensor, source: str | Path | None = None) -> np.ndarray:
    """A (T, 22, 3) finite float32 array, or a one-line error naming the source and the field."""
    array = joints.detach().cpu().numpy() if isinstance(joints, torch.Tensor) else np.asarray(joints)
    if array.ndim != 3 or array.shape[1:] != (NUM_BODY_JOINTS, 3):
        joint_set = f"a {array.shape[1]}-joint set" if array.ndim == 3 and array.shape[2] == 3 else "not (T, J, 3)"
        raise PoseDataError(source, "joints", f"SMPL is fitted to (T, 22, 3) SMPL-22 joints, got {array.shape} "
                            f"({joint_set}; `autosynthda poses convert` maps other sets to SMPL-22)")
    if array.shape[0] == 0:
        raise PoseDataError(source, "joints", "no frames to fit")
    bad = ~np.isfinite(array)
    if bad.any():
        raise PoseDataError(source, "joints", f"{int(bad.sum())} non-finite values (NaN/inf), first in frame "
                            f"{int(np.argwhere(bad)[0, 0])}")
    return array.astype(np.float32, copy=False)


def resolve_device(device: torch.device | str | None) -> torch.device:
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _pack(clips: Sequence[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """All frames end to end, (N, 22, 3), and the clip of each frame (N,): no padding to the longest clip."""
    joints = torch.from_numpy(np.concatenate(clips)).to(device)
    clip_of = torch.repeat_interleave(torch.arange(len(clips)), torch.tensor([len(c) for c in clips]))
    return joints, clip_of.to(device)


def fit_joints(
    model: BodyModel,
    clips: Sequence[np.ndarray | torch.Tensor],
    settings: FitSettings | None = None,
    *,
    device: torch.device | str | None = None,
    sources: Sequence[str | Path | None] | None = None,
) -> FitResult:
    """Fit every clip (T_i, 22, 3), canonical frame, metres, at once. sources name the clips in errors."""
    settings = settings or FitSettings()
    if not clips:
        raise PoseDataError(None, "joints", "no clips to fit")
    sources = list(sources) if sources is not None else [None] * len(clips)
    arrays = [check_clip(c, s) for c, s in zip(clips, sources)]
    dev = resolve_device(device)
    model = model.to(dev)
    started = time.perf_counter()
    target, clip_of = _pack(arrays, dev)
    target = flip_axes(target)  # fit in SMPL's frame
    bsz, frames = len(arrays), target.shape[0]

    betas = torch.zeros(bsz, model.num_betas, device=dev)
    rest = model.rest_joints(betas)[clip_of]
    with torch.no_grad():
        start = initial_rotations(target, rest)
    # Joint-major tensors (22, N, ...): every joint's slice is contiguous for the kinematic chain.
    six = matrix_to_rot6d(start.movedim(1, 0)).contiguous().requires_grad_(True)
    transl = (target[:, 0] - rest[:, 0]).detach().clone().requires_grad_(True)
    target = target.movedim(1, 0).contiguous()
    betas.requires_grad_(True)
    optimiser = torch.optim.Adam([
        {"params": [six], "lr": settings.lr},
        {"params": [transl], "lr": settings.translation_lr},
        {"params": [betas], "lr": settings.betas_lr},
    ])  # fmt: skip

    def evaluate() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rot = rot6d_to_matrix(six)
        rest_now = model.rest_joints(betas).movedim(1, 0)[:, clip_of]  # (22, N, 3)
        joints = forward_joints(rot, rest_now) + transl
        return rot, joints, ((joints - target) ** 2).sum(-1)

    # Each clip's loss is a mean over its own frames and the clips' losses are summed, so a parameter's gradient
    # depends on its clip alone and Adam (per-parameter steps) fits every clip as if it were fitted by itself.
    lengths = torch.bincount(clip_of, minlength=bsz).to(target.dtype)
    per_frame = 1.0 / lengths[clip_of]
    same = (clip_of[1:] == clip_of[:-1]).to(target.dtype)  # consecutive frames of one clip
    pairs, triples = same * per_frame[1:], same[1:] * same[:-1] * per_frame[2:]
    losses = []
    for _ in range(settings.iterations):
        optimiser.zero_grad(set_to_none=True)
        rot, joints, sq_err = evaluate()
        loss = (sq_err.mean(0) * per_frame).sum() / _CM**2
        if frames >= 3:
            accel = joints[:, 2:] - 2.0 * joints[:, 1:-1] + joints[:, :-2]
            loss = loss + settings.accel_weight * ((accel**2).sum(-1).mean(0) * triples).sum() / _CM**2
        if frames >= 2:
            velocity = ((rot[:, 1:] - rot[:, :-1]) ** 2).sum((-1, -2)).mean(0)
            loss = loss + settings.rotation_velocity_weight * (velocity * pairs).sum()
        loss = loss + settings.pose_prior_weight * (pose_prior(rot) * per_frame).sum()
        loss = loss + settings.bend_prior_weight * (bend_prior(rot) * per_frame).sum()
        loss = loss + settings.shape_prior_weight * shape_prior(betas).sum()
        loss.backward()
        optimiser.step()
        losses.append(loss.detach())  # converted after the loop: float() here would sync the GPU every step

    with torch.no_grad():
        rot, joints, sq_err = evaluate()
        rot, joints, sq_err = rot.movedim(0, 1), joints.movedim(0, 1), sq_err.movedim(0, 1)
        hands = torch.eye(3, device=dev).expand(frames, NUM_JOINTS - NUM_BODY_JOINTS, 3, 3)
        rot = torch.cat([rot, hands], dim=1).cpu().numpy()
        joints = flip_axes(joints).cpu().numpy()
        error_mm = (sq_err.sqrt() * 1000.0).cpu().numpy()
        transl_np = transl.detach().cpu().numpy()
        betas_np = betas.detach().cpu().numpy()
    losses = [float(value) / bsz for value in torch.stack(losses).tolist()] if losses else []
    seconds = time.perf_counter() - started
    out, first = [], 0
    for b, clip in enumerate(arrays):
        sl = slice(first, first + len(clip))
        first += len(clip)
        out.append(ClipFit(betas_np[b], rot[sl], transl_np[sl], joints[sl], error_mm[sl]))
    return FitResult(out, seconds, settings.iterations, str(dev), losses)
