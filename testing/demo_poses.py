"""Procedural SMPL-22 poses (a standing body, a walk cycle) for renderer tests, benchmarks and visual checks.

Canonical frame (x right, y down, z away from the source camera); with heading 0 the body faces the camera (-z),
its left side at +x. Proportions: a ~1.67 m adult with SMPL-like joint placement (narrow hip joints, neck joint
above the shoulders, head joint mid-skull).
"""

from __future__ import annotations

import math

import numpy as np

_HIP = (0.056, 0.09, 0.0)
_THIGH, _SHIN = 0.39, 0.40
_UPPER_ARM, _FOREARM = 0.26, 0.25
_SPINE = {3: (0.0, -0.12, 0.01), 6: (0.0, -0.25, 0.0), 9: (0.0, -0.31, -0.01), 12: (0.0, -0.52, 0.0),
          13: (0.075, -0.43, 0.0), 14: (-0.075, -0.43, 0.0), 15: (0.0, -0.60, -0.03)}  # fmt: skip
_SHOULDER = (0.19, -0.41, 0.0)


def _rot_y(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _sagittal(angle: float) -> np.ndarray:
    """Unit vector pointing down, swung forward (towards -z) by angle radians."""
    return np.array([0.0, math.cos(angle), -math.sin(angle)])


def posed(hip: tuple[float, float] = (0.0, 0.0), knee: tuple[float, float] = (0.0, 0.0),
          shoulder: tuple[float, float] = (0.0, 0.0), elbow: tuple[float, float] = (0.15, 0.15),
          arm_out: float = 0.12, bob: float = 0.0) -> np.ndarray:
    """(22, 3) pose from (left, right) sagittal angles in radians: hip flexion, knee flexion, shoulder flexion,
    elbow flexion; arm_out abducts both arms; bob lifts the whole body (y down, so negative = up)."""
    j = np.zeros((22, 3))
    for idx, off in _SPINE.items():
        j[idx] = off
    for side, sign in ((0, 1.0), (1, -1.0)):
        hip_i, knee_i, ankle_i, foot_i = (1, 4, 7, 10) if side == 0 else (2, 5, 8, 11)
        sh_i, el_i, wr_i = (16, 18, 20) if side == 0 else (17, 19, 21)
        j[hip_i] = (sign * _HIP[0], _HIP[1], 0.0)
        j[knee_i] = j[hip_i] + _THIGH * _sagittal(hip[side])
        shin_angle = hip[side] - knee[side]
        j[ankle_i] = j[knee_i] + _SHIN * _sagittal(shin_angle)
        j[foot_i] = j[ankle_i] + 0.14 * _sagittal(shin_angle + math.pi / 2 - 0.35)
        j[sh_i] = (sign * _SHOULDER[0], _SHOULDER[1], 0.0)
        arm = _sagittal(shoulder[side])
        arm = arm * math.cos(arm_out) + np.array([sign * math.sin(arm_out), 0.0, 0.0])
        j[el_i] = j[sh_i] + _UPPER_ARM * arm
        fore = _sagittal(shoulder[side] + elbow[side]) * math.cos(arm_out) + np.array([sign * math.sin(arm_out), 0, 0])
        j[wr_i] = j[el_i] + _FOREARM * fore / np.linalg.norm(fore)
    j[:, 1] += bob
    return j


def standing_pose(heading_deg: float = 0.0) -> np.ndarray:
    """(22, 3) float32 relaxed standing pose, facing the camera when heading is 0 (positive turns to its left)."""
    return (posed() @ _rot_y(-math.radians(heading_deg)).T).astype(np.float32)


def walking_clip(frames: int = 32, fps: float = 30.0, heading_deg: float = -90.0, speed: float = 1.2,
                 cadence_hz: float = 0.9) -> np.ndarray:
    """(T, 22, 3) float32 walk cycle moving forward at speed m/s. heading -90 walks towards -x (side-on to the
    source camera); the pelvis starts at the origin."""
    out = np.empty((frames, 22, 3))
    rot = _rot_y(-math.radians(heading_deg))
    for t in range(frames):
        phase = 2 * math.pi * cadence_hz * t / fps
        swing = math.sin(phase)
        hip = (0.45 * swing, -0.45 * swing)
        # The knee bends most while its leg swings forward (hip flexing) and stays nearly straight in stance.
        knee = (0.1 + 0.55 * max(0.0, math.cos(phase - 0.6)), 0.1 + 0.55 * max(0.0, -math.cos(phase - 0.6)))
        shoulder = (-0.35 * swing, 0.35 * swing)
        pose = posed(hip=hip, knee=knee, shoulder=shoulder, elbow=(0.3, 0.3), arm_out=0.08,
                     bob=-0.02 * abs(math.cos(phase)))
        pose[:, 2] -= speed * t / fps  # forward is -z before the heading rotation
        out[t] = pose @ rot.T
    return out.astype(np.float32)
