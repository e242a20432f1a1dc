"""HumanML3D / text-to-motion joints: .npy (T, 22, 3), y up, 20 fps, with a global root trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generation.errors import PoseDataError
from generation.poses.frames import y_up_to_canonical
from generation.poses.numpy_files import load_problem
from generation.poses.sequence import PoseSequence, validate_joints

HUMANML3D_FPS = 20.0


def read_npy(path: str | Path) -> np.ndarray:
    path = Path(path)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise PoseDataError(path, "file", f"not a readable .npy ({load_problem(exc)})") from None


def read_humanml3d(path: str | Path) -> np.ndarray:
    """The raw y-up (T, 22, 3) array as stored (float32 for text-to-motion output), validated."""
    path = Path(path)
    return validate_joints(read_npy(path), "smpl22", path)


def load_humanml3d(path: str | Path, *, label: str = "", fps: float = HUMANML3D_FPS) -> PoseSequence:
    """Load text-to-motion joints and apply SynthDa's synthetic flip (in the file's own float32) into y-down."""
    path = Path(path)
    raw = read_humanml3d(path)
    flipped, floor_y = y_up_to_canonical(raw)
    return PoseSequence(
        joints=flipped, joint_set="smpl22", fps=fps, label=label, source=str(path), floor_y=floor_y,
        meta={"format": "humanml3d"},
    )


def load_smpl22_npy(path: str | Path, *, label: str = "", fps: float = 30.0) -> PoseSequence:
    """A (T, 22, 3) .npy already in the canonical frame (e.g. SynthDa's mapped output_keypoints_3d.npy)."""
    path = Path(path)
    arr = read_npy(path)
    if not isinstance(arr, np.ndarray):
        raise PoseDataError(path, "file", "not an array")
    return PoseSequence(joints=arr, joint_set="smpl22", fps=fps, label=label, source=str(path), meta={"format": "npy"})
