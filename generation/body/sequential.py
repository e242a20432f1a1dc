"""The baseline: joints2smpl's fit as SynthDa runs it, one frame after another.

joints2smpl (fit_seq.py + SMPLify3D, as in SynthDa): frame t starts from frame t-1's result; the betas are fitted at
frame 0 only; each frame runs a camera stage (global orientation and translation against the hips and shoulders, 10
L-BFGS steps of `num_smplify_iters` iterations, strong-Wolfe line search, step size 0.01, plus a depth penalty
towards a triangle-similarity guess) and a body stage (`num_smplify_iters` L-BFGS steps on pose, orientation,
translation: joint loss x 600^2 under a Geman-McClure robustifier with sigma 100, pose prior x (4.78 x 1.5)^2,
SMPLify's knee/elbow angle prior x 15.2^2, shape prior x 5^2, a pull towards the starting pose x 5^2). SynthDa sets
num_smplify_iters to 1. Every loss evaluation runs the full SMPL layer (vertices too), as joints2smpl does.

Two substitutes, both in the baseline's favour or neutral: the pose prior is priors.pose_prior instead of SMPLify's
GMM (another licensed download), and frame 0 starts from fit.py's analytic guess instead of the HMR mean pose.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from generation.body.fit import ClipFit, FitResult, check_clip, resolve_device
from generation.body.kinematics import initial_rotations
from generation.body.model import BodyModel
from generation.body.priors import pose_prior
from generation.body.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from generation.body.skeleton import NUM_BODY_JOINTS, flip_axes

TORSO = (2, 1, 17, 16)  # right hip, left hip, right shoulder, left shoulder: joints2smpl's camera-stage joints


@dataclass(frozen=True)
class SequentialSettings:
    smplify_iterations: int = 1  # SynthDa's num_smplify_iters
    camera_steps: int = 10
    step_size: float = 1e-2
    joint_loss_weight: float = 600.0
    sigma: float = 100.0
    pose_prior_weight: float = 4.78 * 1.5
    angle_prior_weight: float = 15.2
    shape_prior_weight: float = 5.0
    pose_preserve_weight: float = 5.0
    depth_loss_weight: float = 100.0


def _gmof(x: torch.Tensor, sigma: float) -> torch.Tensor:
    return (sigma**2 * x**2) / (sigma**2 + x**2)


def _angle_prior(body_pose: torch.Tensor) -> torch.Tensor:
    """SMPLify's: exp of the wrong-way bend of elbows (y) and knees (x), axis-angle body pose (1, 69)."""
    signs = body_pose.new_tensor([1.0, -1.0, -1.0, -1.0])
    return (torch.exp(body_pose[:, [55 - 3, 58 - 3, 12 - 3, 15 - 3]] * signs) ** 2).sum(-1)


def _lbfgs(params: list[torch.Tensor], settings: SequentialSettings) -> torch.optim.LBFGS:
    return torch.optim.LBFGS(params, max_iter=settings.smplify_iterations, lr=settings.step_size,
                             line_search_fn="strong_wolfe")


def _fit_frame(model: BodyModel, target: torch.Tensor, pose: torch.Tensor, betas: torch.Tensor, first: bool,
               s: SequentialSettings) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One frame: target (1, 22, 3) SMPL frame; pose (1, 72) and betas (1, B) from the previous frame."""
    smpl = model.smpl
    global_orient = pose[:, :3].detach().clone()
    body_pose = pose[:, 3:].detach().clone()
    betas = betas.detach().clone()
    preserve = body_pose.detach().clone()

    def joints() -> torch.Tensor:
        return smpl(global_orient=global_orient, body_pose=body_pose, betas=betas).joints[:, :NUM_BODY_JOINTS]

    with torch.no_grad():
        guess = (target[:, TORSO] - joints()[:, TORSO]).mean(1)  # joints2smpl's guess_init_3d
    transl = guess.clone()

    global_orient.requires_grad_(True)
    transl.requires_grad_(True)
    camera = _lbfgs([global_orient, transl], s)

    def camera_closure() -> torch.Tensor:
        camera.zero_grad()
        model_joints = joints() + transl[:, None]
        loss = ((target[:, TORSO] - model_joints[:, TORSO]) ** 2).sum()
        loss = loss + s.depth_loss_weight**2 * ((transl - guess) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(s.camera_steps):
        camera.step(camera_closure)

    body_pose.requires_grad_(True)
    params = [body_pose, global_orient, transl] + ([betas.requires_grad_(True)] if first else [])
    body = _lbfgs(params, s)

    def body_closure() -> torch.Tensor:
        body.zero_grad()
        model_joints = joints() + transl[:, None]
        loss = s.joint_loss_weight**2 * _gmof(model_joints - target, s.sigma).sum()
        rotations = axis_angle_to_matrix(body_pose.reshape(-1, 3)).unsqueeze(1)  # joint-major, without the root
        loss = loss + s.pose_prior_weight**2 * pose_prior(torch.cat([rotations[:1], rotations])).sum()
        loss = loss + s.angle_prior_weight**2 * _angle_prior(body_pose).sum()
        loss = loss + s.shape_prior_weight**2 * (betas**2).sum()
        loss = loss + s.pose_preserve_weight**2 * ((body_pose - preserve) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(s.smplify_iterations):
        body.step(body_closure)
    return torch.cat([global_orient, body_pose], dim=1).detach(), betas.detach(), transl.detach()


def fit_sequential(
    model: BodyModel,
    clips: Sequence[np.ndarray | torch.Tensor],
    settings: SequentialSettings | None = None,
    *,
    device: torch.device | str | None = None,
    sources: Sequence[str | Path | None] | None = None,
) -> FitResult:
    """Fit each clip frame by frame, joints2smpl style. Same inputs and result type as fit.fit_joints."""
    settings = settings or SequentialSettings()
    sources = list(sources) if sources is not None else [None] * len(clips)
    arrays = [check_clip(c, s) for c, s in zip(clips, sources)]
    dev = resolve_device(device)
    model = model.to(dev)
    started = time.perf_counter()
    out = []
    for clip in arrays:
        target = flip_axes(torch.from_numpy(clip).to(dev))
        betas = torch.zeros(1, model.num_betas, device=dev)
        rest = model.rest_joints(betas)
        start = initial_rotations(target[:1], rest)  # (1, 22, 3, 3)
        pose = torch.zeros(1, 72, device=dev)
        pose[:, : 3 * NUM_BODY_JOINTS] = matrix_to_axis_angle(start).reshape(1, -1)
        poses, transls = [], []
        for t in range(len(clip)):
            pose, betas, transl = _fit_frame(model, target[t : t + 1], pose, betas, t == 0, settings)
            poses.append(pose)
            transls.append(transl)
        pose_all, transl_all = torch.cat(poses), torch.cat(transls)
        with torch.no_grad():
            fitted = model.smpl(global_orient=pose_all[:, :3], body_pose=pose_all[:, 3:],
                                betas=betas.expand(len(clip), -1)).joints[:, :NUM_BODY_JOINTS] + transl_all[:, None]
        error = (fitted - target).norm(dim=-1) * 1000.0
        rotations = axis_angle_to_matrix(pose_all.reshape(len(clip), -1, 3))
        out.append(ClipFit(betas[0].cpu().numpy(), rotations.cpu().numpy(), transl_all.cpu().numpy(),
                           flip_axes(fitted).cpu().numpy(), error.cpu().numpy()))
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return FitResult(out, time.perf_counter() - started, settings.smplify_iterations, str(dev))
