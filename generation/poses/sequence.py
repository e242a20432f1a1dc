"""The pose-sequence type every loader returns and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from generation.errors import PoseDataError
from generation.poses.joints import JOINT_SETS

# Canonical frame (SynthDa's camera frame): x right, y DOWN, z away from the camera, metres.
CANONICAL_FRAME = "x right, y down, z forward, metres"


@dataclass(frozen=True)
class PoseSequence:
    """A clip of 3D joints.

    joints: (T, J, 3) float32 (float64 is kept when a computation produced it, so exact pipelines stay exact).
    joint_set: a key of JOINT_SETS ("smpl22" after any loader). fps: frames per second. label: action class or "".
    source: where it came from. floor_y: y of the ground plane in this frame when the source knows it, else None.
    meta: free-form provenance (rig, window, licence), JSON-serialisable.
    image_landmarks: (T, 33, 3) float32 of extracted clips, else None: the extractor's MediaPipe image landmarks of
    the same frames (normalised x, y of the upright source frame, visibility); meta["image_size"] is that frame's
    [width, height]. Dropped by with_joints when the frame count changes (they would no longer line up).
    """

    joints: np.ndarray
    joint_set: str = "smpl22"
    fps: float = 30.0
    label: str = ""
    source: str = ""
    floor_y: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    image_landmarks: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        joints = validate_joints(self.joints, self.joint_set, self.source)
        object.__setattr__(self, "joints", joints)
        if self.image_landmarks is not None:
            image = np.asarray(self.image_landmarks, dtype=np.float32)
            if image.shape != (joints.shape[0], 33, 3) or not np.isfinite(image).all():
                raise PoseDataError(self.source, "image_landmarks",
                                    f"expected finite ({joints.shape[0]}, 33, 3), got {image.shape}")
            object.__setattr__(self, "image_landmarks", image)
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise PoseDataError(self.source, "fps", f"must be a positive number, got {self.fps!r}")

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def with_joints(self, joints: np.ndarray, **changes: Any) -> PoseSequence:
        if self.image_landmarks is not None and len(joints) != self.num_frames:
            changes.setdefault("image_landmarks", None)
        return replace(self, joints=joints, **changes)


def validate_joints(joints: Any, joint_set: str, source: str | Path | None, field_name: str = "joints") -> np.ndarray:
    """Check shape, joint count, frame count and finiteness; return a float32/float64 array."""
    if joint_set not in JOINT_SETS:
        raise PoseDataError(source, "joint_set", f"unknown joint set {joint_set!r} (known: {', '.join(JOINT_SETS)})")
    arr = np.asarray(joints)
    if arr.dtype not in (np.float32, np.float64):
        if not np.issubdtype(arr.dtype, np.number):
            raise PoseDataError(source, field_name, f"expected numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float32)
    expected_j = len(JOINT_SETS[joint_set])
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise PoseDataError(source, field_name, f"expected shape (T, {expected_j}, 3), got {arr.shape}")
    if arr.shape[1] != expected_j:
        raise PoseDataError(source, field_name, f"expected {expected_j} joints for {joint_set}, got {arr.shape[1]}")
    if arr.shape[0] < 2:
        raise PoseDataError(source, field_name, f"needs at least 2 frames, got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        frame = int(np.argwhere(bad)[0][0])
        raise PoseDataError(source, field_name, f"{int(bad.sum())} non-finite values (NaN/inf), first in frame {frame}")
    return arr
