"""Clips of known SMPL parameters: joints made by a body model from smooth random poses, to check that a fit
recovers what made them (tests, benchmark). The poses stay inside what knees, elbows and shoulders do."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from generation.body.model import BodyModel
from generation.body.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from generation.body.skeleton import NUM_BODY_JOINTS, NUM_JOINTS, flip_axes

# (joint, axis, low, high) in radians, SMPL's frame: the range each joint's angle sweeps through.
_RANGES = (
    (1, 0, -0.9, 0.3), (2, 0, -0.9, 0.3), (1, 2, -0.1, 0.3), (2, 2, -0.3, 0.1),  # hips: swing fore/aft, out
    (4, 0, 0.05, 1.3), (5, 0, 0.05, 1.3),  # knees bend one way
    (3, 0, -0.1, 0.25), (6, 0, -0.1, 0.15), (9, 1, -0.2, 0.2), (12, 0, -0.2, 0.2), (15, 0, -0.2, 0.2),
    (7, 0, -0.3, 0.3), (8, 0, -0.3, 0.3),
    (16, 2, -1.3, 0.2), (17, 2, -0.2, 1.3), (16, 1, -0.5, 0.5), (17, 1, -0.5, 0.5),  # shoulders: arms down/up
    (18, 1, -1.6, -0.05), (19, 1, 0.05, 1.6),  # elbows bend one way
    (13, 2, -0.15, 0.15), (14, 2, -0.15, 0.15),
)  # fmt: skip


@dataclass(frozen=True)
class KnownMotion:
    """joints (T, 22, 3) canonical frame; the parameters that made them: betas (10,), pose (T, 24, 3) axis-angle,
    transl (T, 3) SMPL frame; vertices (T, V, 3) canonical frame."""

    joints: np.ndarray
    betas: np.ndarray
    pose: np.ndarray
    transl: np.ndarray
    vertices: np.ndarray


def known_motion(model: BodyModel, frames: int, seed: int, betas_scale: float = 1.0) -> KnownMotion:
    """A clip whose every joint angle follows its own slow sinusoid within _RANGES, turning and walking about."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 30.0
    pose = np.zeros((frames, NUM_JOINTS, 3))
    for joint, axis, low, high in _RANGES:
        freq, phase = rng.uniform(0.3, 1.2), rng.uniform(0, 2 * np.pi)
        pose[:, joint, axis] = low + (high - low) * 0.5 * (1 + np.sin(2 * np.pi * freq * t + phase))
    heading = rng.uniform(0, 2 * np.pi) + rng.uniform(-1.0, 1.0) * t
    tilt = rng.uniform(-0.3, 0.3)
    zero = np.zeros(frames)
    yaw = axis_angle_to_matrix(torch.from_numpy(np.stack([zero, heading, zero], axis=-1)))
    lean = axis_angle_to_matrix(torch.from_numpy(np.stack([zero + tilt, zero, zero], axis=-1)))
    pose[:, 0] = matrix_to_axis_angle(yaw @ lean).numpy()  # turn about the vertical, leaning a little
    transl = np.cumsum(rng.normal(0.0, 0.01, size=(frames, 3)), axis=0) + rng.uniform(-1, 1, size=3)
    betas = rng.normal(0.0, betas_scale, size=model.num_betas)
    with torch.no_grad():
        out = model.smpl(
            betas=torch.tensor(betas[None], dtype=torch.float32).expand(frames, -1),
            global_orient=torch.tensor(pose[:, 0], dtype=torch.float32),
            body_pose=torch.tensor(pose[:, 1:].reshape(frames, -1), dtype=torch.float32),
            transl=torch.tensor(transl, dtype=torch.float32),
        )
    joints = flip_axes(out.joints[:, :NUM_BODY_JOINTS]).numpy()
    vertices = flip_axes(out.vertices).numpy()
    return KnownMotion(joints.astype(np.float32), betas, pose, transl, vertices)
