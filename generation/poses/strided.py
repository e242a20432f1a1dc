"""StridedTransformer-Pose3D output: .npz with key 'reconstruction', (T, 17, 3) H36M joints, y down, root-relative."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from generation.errors import PoseDataError
from generation.poses.joints import h36m17_to_smpl22
from generation.poses.numpy_files import load_problem
from generation.poses.sequence import PoseSequence, validate_joints

STRIDED_KEY = "reconstruction"
# StridedTransformer emits one pose per video frame; SynthDa's clips were 30 fps videos.
DEFAULT_VIDEO_FPS = 30.0


def read_strided_h36m(path: str | Path) -> np.ndarray:
    """The raw (T, 17, 3) float32 H36M array of a StridedTransformer .npz, validated."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if STRIDED_KEY not in npz.files:
                raise PoseDataError(path, STRIDED_KEY, f"missing npz key (found: {', '.join(npz.files) or 'none'})")
            raw = npz[STRIDED_KEY]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, PoseDataError):
            raise
        raise PoseDataError(path, "file", f"not a readable .npz ({load_problem(exc)})") from None
    return validate_joints(raw, "h36m17", path, field_name=STRIDED_KEY)


def load_strided(path: str | Path, *, label: str = "", fps: float = DEFAULT_VIDEO_FPS) -> PoseSequence:
    """Load a StridedTransformer .npz mapped to SMPL-22 (float64, exactly SynthDa's mapping), y down, root-relative."""
    path = Path(path)
    h36m = read_strided_h36m(path)
    return PoseSequence(
        joints=h36m17_to_smpl22(h36m), joint_set="smpl22", fps=fps, label=label, source=str(path),
        meta={"format": "strided", "root_relative": True},
    )
